"""A small IMT reporting tree for tests (figures in tests are made up unless a test says so)."""

import datetime as dt

from jalon.engine.periods import Frequency, Period
from jalon.engine.tree import Tree

MERGER = dt.date(2017, 1, 1)
BEFORE_MERGER = dt.date(2016, 12, 31)

ENTITIES = [
    ("IMT", None, None, None),
    ("IMT_ATLANTIQUE", "IMT", MERGER, None),
    ("TELECOM_BRETAGNE", "IMT", None, BEFORE_MERGER),
    ("MINES_NANTES", "IMT", None, BEFORE_MERGER),
    ("IMT_MINES_ALES", "IMT", None, None),
    ("TELECOM_PARIS", "IMT", None, None),
]


def imt_tree(entities=ENTITIES) -> Tree:
    return Tree.build(entities)


def years(first: int, last: int) -> list[Period]:
    return [Period(Frequency.YEAR, y) for y in range(first, last + 1)]
