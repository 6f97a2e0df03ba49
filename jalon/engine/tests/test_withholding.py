"""Disclosure control in the engine: a total resting on fewer than k members is withheld
at the entities named, and what is worked out from it follows."""

import numpy as np
import pytest

from jalon.engine.consolidation import Across, reporters_below
from jalon.engine.evaluate import (
    EvaluationInput,
    IndicatorSpec,
    TargetSpec,
    Withholding,
    evaluate,
)
from jalon.engine.periods import Frequency
from jalon.engine.trajectory import Shape
from jalon.engine.tree import Tree

from .imt import years

nan = np.nan
PERIODS = years(2018, 2021)


def federation() -> Tree:
    # A root, two regions, five members: r1 has m1, m2, m3; r2 has m4, m5.
    rows = [("root", None, None, None), ("r1", "root", None, None), ("r2", "root", None, None)]
    rows += [(f"m{i}", "r1" if i <= 3 else "r2", None, None) for i in range(1, 6)]
    return Tree.build(rows)


def figures(tree: Tree, by_member: dict[str, list[float]]) -> np.ndarray:
    out = np.full((len(tree), len(PERIODS)), nan)
    for code, series in by_member.items():
        out[tree.index(code)] = series
    return out


def run(tree, values, indicators, withhold=None, targets=()):
    periods = {spec.code: PERIODS for spec in indicators}
    inp = EvaluationInput(tree, [], [], indicators, periods, values, list(targets))
    return evaluate(inp, withhold=withhold).indicators


def test_members_below_count_the_figures_of_their_own_making():
    tree = federation()
    own = figures(tree, {"m1": [1, 1, nan, nan], "m4": [1, nan, nan, nan], "r2": [nan] * 3 + [9]})
    value = own.copy()
    value[tree.index("r2"), 3] = 9
    active = np.ones(own.shape, dtype=bool)
    below = reporters_below(value, own, tree, active)
    assert below[tree.index("root")].tolist() == [2, 1, 0, 1]  # r2's own total counts once
    assert below[tree.index("r1")].tolist() == [1, 1, 0, 0]
    assert below[tree.index("m1")].tolist() == [0, 0, 0, 0]


def test_a_total_of_too_few_members_is_withheld_with_all_that_follows_from_it():
    tree = federation()
    root = tree.index("root")
    students = IndicatorSpec("students", Frequency.YEAR)
    doubled = IndicatorSpec("doubled", Frequency.YEAR, kind="formula", formula="students * 2")
    values = {
        "students": figures(
            tree,
            {
                "m1": [10, 10, 10, 10],
                "m2": [20, 20, nan, nan],
                "m4": [30, nan, nan, nan],
                "root": [nan, nan, nan, 99],  # the root's own figure: its own to publish
            },
        )
    }
    target = TargetSpec("students", "root", PERIODS[0], None, 100.0, None, PERIODS[3], Shape.LINEAR)
    plain = run(tree, values, [students, doubled], targets=[target])
    kept = run(tree, values, [students, doubled], Withholding((root,), 3), [target])
    assert plain["students"].figure[root].tolist() == [60, 30, 10, 99]
    s = kept["students"]
    assert np.isnan(s.figure[root, 1]) and np.isnan(s.figure[root, 2])
    assert s.figure[root, 0] == 60 and s.figure[root, 3] == 99
    assert s.suppressed[root].tolist() == [False, True, True, False]
    assert s.suppressed.sum() == 2  # only at the rows named: the regions keep theirs
    assert s.figure[tree.index("r1"), 2] == 10
    assert (
        str(s.status[root, 1]) == "no_data" and str(plain["students"].status[root, 1]) != "no_data"
    )
    assert np.isnan(s.consolidated.children[root, 1])
    d = kept["doubled"]
    assert d.suppressed[root].tolist() == [False, True, True, False]
    assert np.isnan(d.figure[root, 1]) and d.figure[root, 0] == 120
    # Fewer members asked for: nothing withheld, and the evaluation is the plain one.
    loose = run(tree, values, [students, doubled], Withholding((root,), 1), [target])
    assert not loose["students"].suppressed.any()
    np.testing.assert_array_equal(loose["students"].figure, plain["students"].figure)
    assert plain["students"].suppressed is None


def test_a_ratio_of_too_few_members_is_withheld_with_its_parts():
    tree = federation()
    root = tree.index("root")
    specs = [
        IndicatorSpec("students", Frequency.YEAR),
        IndicatorSpec("staff", Frequency.YEAR),
        IndicatorSpec(
            "per_staff", Frequency.YEAR, kind="ratio", across=Across.RATIO_OF_SUMS,
            numerator="students", denominator="staff",
        ),
    ]  # fmt: skip
    values = {
        "students": figures(
            tree,
            {"m1": [100] * 4, "m2": [200, nan, nan, nan], "m3": [50] * 4, "m4": [50] + [nan] * 3},
        ),
        "staff": figures(
            tree, {"m1": [10] * 4, "m2": [20, nan, nan, nan], "m3": [5] * 4, "m4": [5] + [nan] * 3}
        ),
    }
    out = run(tree, values, specs, Withholding((root,), 3))
    ratio = out["per_staff"]
    assert ratio.figure[root, 0] == pytest.approx(400 / 40)
    assert np.isnan(ratio.figure[root, 1]) and ratio.suppressed[root, 1]
    assert np.isnan(ratio.consolidated.numerator[root, 1])
    assert np.isnan(ratio.consolidated.denominator[root, 1])


def test_what_the_reader_sees_counts_for_nothing_and_a_total_stands_in_for_its_members():
    tree = federation()
    root, r1 = tree.index("root"), tree.index("r1")
    own = figures(tree, {"m1": [10] * 4, "m2": [20] * 4, "m3": [30] * 4, "m4": [777] * 4})
    students = IndicatorSpec("students", Frequency.YEAR)
    seen = (r1, *[tree.index(c) for c in ("m1", "m2", "m3")])
    # A contributor for r1 sees r1 whole: the root less r1 is m4 alone.
    kept = run(tree, {"students": own}, [students], Withholding((root,), 3, seen))
    assert kept["students"].suppressed[root].all()
    # Their own members alone behind the total: nothing to give away.
    alone = figures(tree, {"m1": [10] * 4, "m2": [20] * 4})
    mine = run(tree, {"students": alone}, [students], Withholding((root,), 3, seen))
    assert not mine["students"].suppressed.any()
    # r2 reported its own total beside its members': it stands in for them (one, not three).
    stands = figures(tree, {"r2": [100] * 4, "m4": [60] * 4, "m5": [40] * 4})
    out = run(tree, {"students": stands}, [students], Withholding((root,), 3))
    assert out["students"].suppressed[root].all()


def test_the_members_consolidation_beside_an_own_figure_is_withheld_too():
    tree = federation()
    root = tree.index("root")
    own = figures(tree, {"root": [500] * 4, "m1": [60] * 4})
    students = IndicatorSpec("students", Frequency.YEAR)
    plain = run(tree, {"students": own}, [students])["students"]
    assert plain.consolidated.discrepancy[root].all() and plain.consolidated.children[root, 0] == 60
    kept = run(tree, {"students": own}, [students], Withholding((root,), 3))["students"]
    assert kept.figure[root, 0] == 500  # the root's own figure is its own to publish
    assert np.isnan(kept.consolidated.children[root]).all()
    assert not kept.consolidated.discrepancy[root].any()


def test_weights_of_nothing_and_extremes_count_for_nothing():
    tree = federation()
    root = tree.index("root")
    specs = [
        IndicatorSpec("students", Frequency.YEAR),
        IndicatorSpec(
            "satisfaction", Frequency.YEAR, kind="weighted_average",
            across=Across.WEIGHTED_MEAN, weight="students",
        ),
        IndicatorSpec("best", Frequency.YEAR, across=Across.MAX),
    ]  # fmt: skip
    values = {
        "students": figures(tree, {"m1": [10] * 4, "m2": [0] * 4, "m3": [0] * 4, "m4": [5] * 4}),
        "satisfaction": figures(tree, {"m1": [0.37] * 4, "m2": [0.5] * 4, "m3": [0.9] * 4}),
        "best": figures(tree, {f"m{i}": [float(i)] * 4 for i in range(1, 6)}),
    }
    out = run(tree, values, specs, Withholding((root,), 3))
    assert out["satisfaction"].suppressed[root].all()  # m1 alone weighs anything
    assert out["best"].suppressed[root].all()  # a maximum is one member's figure
    assert not out["students"].suppressed[root].any()  # four members: a zero is a figure


def test_carried_figures_and_members_below_an_inactive_one_count_for_nothing():
    import datetime as dt

    # Carried: every member reported in 2018; in 2019 m7 alone reports, the others' carried.
    rows = [("root", None, None, None)] + [(f"m{i}", "root", None, None) for i in range(1, 8)]
    tree = Tree.build(rows)
    root = tree.index("root")
    stock = IndicatorSpec("students", Frequency.YEAR, carry_forward=2)
    own = figures(tree, {f"m{i}": [100, nan, nan, nan] for i in range(1, 7)})
    own[tree.index("m7")] = [42, 4242, nan, nan]
    out = run(tree, {"students": own}, [stock], Withholding((root,), 3))["students"]
    assert not out.suppressed[root, 0] and out.suppressed[root, 1]
    # Below an inactive region: its members are left out of the total, and of the count.
    rows = [
        ("root", None, None, None),
        ("r2", "root", None, dt.date(2017, 12, 31)),
        ("r3", "root", None, None),
    ]
    rows += [(f"m{i}", "r2", None, None) for i in (4, 5, 6)] + [("m7", "r3", None, None)]
    tree = Tree.build(rows)
    root = tree.index("root")
    own = figures(tree, {"m4": [1] * 4, "m5": [1] * 4, "m6": [1] * 4, "m7": [777] * 4})
    flat = IndicatorSpec("students", Frequency.YEAR)
    out = run(tree, {"students": own}, [flat], Withholding((root,), 3))["students"]
    assert out.suppressed[root].all()
