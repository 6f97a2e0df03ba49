"""Incremental re-evaluation: after any sequence of changed figures, the same as in full."""

import dataclasses
import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jalon.engine.consolidation import Across
from jalon.engine.evaluate import EvaluationInput, IndicatorSpec, TargetSpec, evaluate
from jalon.engine.periods import Frequency, Period
from jalon.engine.timeagg import OverTime
from jalon.engine.tree import Grouping, Tree

from .imt import years
from .test_properties import trees

AXIS = years(2015, 2022)
figure = st.one_of(st.just(np.nan), st.just(0.0), st.floats(0, 1e5, allow_nan=False))

SPECS = [
    IndicatorSpec("students", Frequency.YEAR, over_time=OverTime.STOCK, carry_forward=1),
    IndicatorSpec("staff", Frequency.YEAR),
    IndicatorSpec("startups", Frequency.YEAR, over_time=OverTime.CUMULATIVE),
    IndicatorSpec(
        "ratio",
        Frequency.YEAR,
        kind="ratio",
        across=Across.RATIO_OF_SUMS,
        numerator="students",
        denominator="staff",
    ),
    IndicatorSpec("per100", Frequency.YEAR, kind="formula", formula="ratio * 100 + startups"),
    IndicatorSpec(
        "satisfaction",
        Frequency.YEAR,
        kind="weighted_average",
        across=Across.WEIGHTED_MEAN,
        weight="students",
    ),
]
ENTERED = ("students", "staff", "startups", "ratio", "satisfaction")


def same(a, b, path="result") -> None:
    """Assert that two results are equal, field by field, NaN equal to NaN."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype, path
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b, err_msg=path)
        else:
            assert a.tolist() == b.tolist(), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert a == b, path


@settings(max_examples=40, deadline=None)
@given(rows=trees(7), data=st.data())
def test_incremental_re_evaluation_equals_a_full_one_over_random_changes(rows, data):
    tree = Tree.build(rows)
    n = len(tree)
    codes = list(tree.codes)

    def axis() -> list[Period]:
        start = data.draw(st.integers(0, 3))
        return AXIS[start : start + data.draw(st.integers(2, len(AXIS) - start))]

    def figures(periods) -> np.ndarray:
        flat = data.draw(st.lists(figure, min_size=n * len(periods), max_size=n * len(periods)))
        return np.array(flat, dtype=float).reshape(n, len(periods))

    periods = {spec.code: axis() for spec in SPECS}
    values = {code: figures(periods[code]) for code in ENTERED}
    targets = [
        TargetSpec(code, entity, periods[code][0], None, None, 0.25, Period(Frequency.YEAR, 2022))
        for code in ("students", "staff", "startups", "ratio", "per100")
        for entity in data.draw(st.sets(st.sampled_from(codes), max_size=3))
    ]
    members = data.draw(st.sets(st.sampled_from(codes), max_size=3))
    groupings = [Grouping("G", tuple((c, None, dt.date(2019, 12, 31)) for c in sorted(members)))]
    at = data.draw(st.sampled_from([None, {"students": AXIS[4], "per100": AXIS[5]}]))

    def inp() -> EvaluationInput:
        return EvaluationInput(tree, groupings, [], SPECS, dict(periods), dict(values), targets)

    current = evaluate(inp(), at=at)
    for _ in range(data.draw(st.integers(1, 4))):
        changed = data.draw(st.sets(st.sampled_from(ENTERED), min_size=1, max_size=2))
        for code in changed:
            if data.draw(st.booleans()):  # new figures here and there
                values[code] = values[code].copy()
                row, column = (
                    data.draw(st.integers(0, n - 1)),
                    data.draw(st.integers(0, len(periods[code]) - 1)),
                )
                values[code][row, column] = data.draw(figure)
            else:  # or a new period on the axis, with every figure anew
                periods[code] = axis()
                values[code] = figures(periods[code])
        current = evaluate(inp(), at=at, previous=current, changed=changed)
        same(current, evaluate(inp(), at=at))
