import datetime as dt

import numpy as np
import pytest

from jalon.engine.consolidation import Across
from jalon.engine.evaluate import EvaluationInput, IndicatorSpec, TargetSpec, evaluate
from jalon.engine.periods import Frequency, Period
from jalon.engine.status import Polarity
from jalon.engine.timeagg import OverTime
from jalon.engine.trajectory import Shape
from jalon.engine.tree import Grouping, Lineage, Tree

from .imt import imt_tree, years

nan = np.nan
ACADEMIC = [Period.parse(f"{y}/{(y + 1) % 100:02d}", "academic_year") for y in range(2017, 2023)]


def plan(values, indicators, targets, periods, tree=None, groupings=(), lineages=()):
    tree = tree or Tree.build([("IMT", None, None, None)])
    return EvaluationInput(
        tree, list(groupings), list(lineages), indicators, periods, values, targets
    )


def test_students_off_track_at_2019_20():
    students = IndicatorSpec("students", Frequency.ACADEMIC_YEAR)
    target = TargetSpec(
        "students",
        "IMT",
        ACADEMIC[0],
        None,
        20000.0,
        None,
        ACADEMIC[5],
        Shape.LINEAR,
        document="Stratégie d'ensemble 2018-2022",
    )
    values = {"students": np.array([[13400.0, nan, 14000.0, nan, nan, nan]])}
    result = evaluate(plan(values, [students], [target], {"students": ACADEMIC})).indicators[
        "students"
    ]
    assert result.baseline[0] == 13400.0  # measured at 2017/18
    assert result.expected[0, 2] == pytest.approx(13400 + 6600 * 2 / 5)  # 16,040
    assert result.progress[0, 2] == pytest.approx(600 / 2640)
    assert list(result.status[0]) == [
        "on_track",  # at the baseline nothing is expected yet, and 13,400 meets it
        "no_data",
        "off_track",
        "no_data",
        "no_data",
        "no_data",
    ]
    assert result.target_period[0] == ACADEMIC[5]
    assert result.forecast.value[0] == pytest.approx(13400 + 300 * 5)  # the line through two points
    assert result.outlook.required_rate[0] == pytest.approx((20000 / 14000) ** (1 / 3) - 1)


def test_own_resources_relative_target_compound():
    spec = IndicatorSpec("own_resources", Frequency.YEAR, polarity=Polarity.UP)
    target = TargetSpec(
        "own_resources",
        "IMT",
        Period.parse("2017", "year"),
        None,
        None,
        0.60,
        Period.parse("2022", "year"),
        Shape.COMPOUND,
    )
    values = {"own_resources": np.array([[170.0, nan, nan, 230.0, nan, nan]])}
    result = evaluate(
        plan(values, [spec], [target], {"own_resources": years(2017, 2022)})
    ).indicators["own_resources"]
    assert result.target[0] == pytest.approx(170 * 1.6)  # 272
    assert result.expected[0, 3] == pytest.approx(170 * 1.6 ** (3 / 5))
    assert result.progress[0, 3] == pytest.approx((230 - 170) / (170 * 1.6**0.6 - 170))
    assert result.status[0, 3] == "on_track"


def test_start_ups_keep_above_and_missed_at_the_end():
    spec = IndicatorSpec(
        "start_ups", Frequency.YEAR, polarity=Polarity.KEEP_ABOVE, over_time=OverTime.FLOW
    )
    target = TargetSpec(
        "start_ups",
        "IMT",
        Period.parse("2018", "year"),
        None,
        100.0,
        None,
        Period.parse("2022", "year"),
    )
    values = {"start_ups": np.array([[120.0, 104.0, 96.0, 90.0, 80.0, 96.0]])}
    result = evaluate(plan(values, [spec], [target], {"start_ups": years(2017, 2022)})).indicators[
        "start_ups"
    ]
    assert list(result.status[0]) == [
        "no_target",
        "on_track",
        "on_track",
        "at_risk",
        "off_track",
        "missed",
    ]


def test_cumulative_start_ups_against_a_plan_total():
    spec = IndicatorSpec("start_ups", Frequency.YEAR, over_time=OverTime.CUMULATIVE)
    target = TargetSpec(
        "start_ups",
        "IMT",
        Period.parse("2017", "year"),
        None,
        500.0,
        None,
        Period.parse("2022", "year"),
    )
    values = {"start_ups": np.array([[90.0, 100.0, 110.0, nan, 100.0, 100.0]])}
    result = evaluate(plan(values, [spec], [target], {"start_ups": years(2017, 2022)})).indicators[
        "start_ups"
    ]
    assert list(result.figure[0, :3]) == [0.0, 100.0, 210.0]  # 2017's flow predates the plan
    assert np.isnan(result.figure[0, 3:]).all()  # a missing year makes the running total unknown
    assert result.status[0, 2] == "on_track"  # 210 against 200 expected


def test_ratio_formula_weighted_mean_and_dependency_order():
    tree = Tree.build(
        [("IMT", None, None, None), ("A", "IMT", None, None), ("B", "IMT", None, None)]
    )
    periods = {
        code: years(2018, 2018) for code in ("students", "staff", "ratio", "per100", "sat", "share")
    }
    indicators = [
        IndicatorSpec("per100", Frequency.YEAR, kind="formula", formula="ratio * 100"),
        IndicatorSpec(
            "ratio",
            Frequency.YEAR,
            kind="ratio",
            across=Across.RATIO_OF_SUMS,
            numerator="students",
            denominator="staff",
        ),
        IndicatorSpec("staff", Frequency.YEAR),
        IndicatorSpec("students", Frequency.YEAR),
        IndicatorSpec(
            "sat",
            Frequency.YEAR,
            kind="weighted_average",
            across=Across.WEIGHTED_MEAN,
            weight="students",
        ),
    ]
    values = {
        "students": np.array([[1000.0], [100.0], [nan]]),  # rows: A, B, IMT
        "staff": np.array([[100.0], [50.0], [nan]]),
        "sat": np.array([[80.0], [50.0], [nan]]),
    }
    out = evaluate(plan(values, indicators, [], periods, tree=tree)).indicators
    assert list(out) == sorted(out)
    assert out["ratio"].figure[2, 0] == pytest.approx(1100 / 150)
    assert out["per100"].figure[2, 0] == pytest.approx(110000 / 150)
    assert out["sat"].figure[2, 0] == pytest.approx((80 * 1000 + 50 * 100) / 1100)
    assert (out["ratio"].status == "no_target").all()
    cyclic = [
        IndicatorSpec("x", Frequency.YEAR, kind="formula", formula="y + 1"),
        IndicatorSpec("y", Frequency.YEAR, kind="formula", formula="x * 2"),
    ]
    with pytest.raises(ValueError, match="x → y → x"):
        evaluate(plan({}, cyclic, [], {"x": [], "y": []}))


def test_merger_pro_forma_baseline_and_groupings():
    tree = imt_tree()
    periods = years(2016, 2018)
    values = np.full((len(tree), 3), nan)
    values[tree.index("TELECOM_BRETAGNE")] = [1000.0, nan, nan]
    values[tree.index("MINES_NANTES")] = [800.0, nan, nan]
    values[tree.index("IMT_ATLANTIQUE")] = [nan, 1850.0, 1900.0]
    values[tree.index("IMT_MINES_ALES")] = [1200.0, 1200.0, 1250.0]
    values[tree.index("TELECOM_PARIS")] = [1500.0, 1500.0, 1500.0]
    spec = IndicatorSpec("students", Frequency.YEAR)
    target = TargetSpec(
        "students", "IMT_ATLANTIQUE", periods[0], None, 2200.0, None, Period.parse("2022", "year")
    )
    lineages = [
        Lineage(p, "IMT_ATLANTIQUE", dt.date(2017, 1, 1))
        for p in ("TELECOM_BRETAGNE", "MINES_NANTES")
    ]
    groupings = [
        Grouping(
            "WEST",
            (
                ("TELECOM_BRETAGNE", None, None),
                ("MINES_NANTES", None, None),
                ("IMT_ATLANTIQUE", None, None),
            ),
        )
    ]
    ev = evaluate(
        plan(
            {"students": values}, [spec], [target], {"students": periods}, tree, groupings, lineages
        )
    )
    result = ev.indicators["students"]
    atlantique = tree.index("IMT_ATLANTIQUE")
    assert list(result.figure[tree.index("IMT")]) == [4500.0, 4550.0, 4650.0]
    assert np.isnan(result.figure[atlantique, 0]) and result.pro_forma[atlantique, 0] == 1800.0
    assert result.baseline[atlantique] == 1800.0  # measured pro forma, before the school existed
    assert result.status[atlantique, 0] == "no_data" and result.status[atlantique, 2] == "off_track"
    assert result.progress[atlantique, 2] == pytest.approx(100 / (400 * 2 / 6))
    assert ev.grouping_codes == ("WEST",)
    assert list(ev.groupings["students"].value[0]) == [1800.0, 1850.0, 1900.0]


def test_zero_stays_zero_through_evaluate():
    spec = IndicatorSpec("patents", Frequency.YEAR)
    tree = Tree.build([("IMT", None, None, None), ("A", "IMT", None, None)])
    values = {"patents": np.array([[0.0, nan], [nan, nan]])}
    target = TargetSpec(
        "patents",
        "IMT",
        Period.parse("2018", "year"),
        None,
        10.0,
        None,
        Period.parse("2022", "year"),
    )
    result = evaluate(
        plan(values, [spec], [target], {"patents": years(2018, 2019)}, tree)
    ).indicators["patents"]
    assert result.figure[1, 0] == 0.0 and np.isnan(result.figure[1, 1])
    assert result.baseline[1] == 0.0
    assert list(result.status[1]) == ["on_track", "no_data"]


def test_as_of_hides_later_figures_from_the_forecast():
    spec = IndicatorSpec("students", Frequency.YEAR)
    values = {"students": np.array([[100.0, 110.0, 120.0, 500.0]])}
    ev = evaluate(
        plan(values, [spec], [], {"students": years(2018, 2021)}),
        at={"students": Period.parse("2020", "year")},
    )
    assert ev.indicators["students"].forecast.value[0] == pytest.approx(130.0)
    assert ev.indicators["students"].outlook.historical_per_year[0] == pytest.approx(10.0)


def test_the_outlook_is_worked_out_when_first_asked_for(monkeypatch):
    # Half the engine's work, and the pages ask for the one seen from the period they show.
    import jalon.engine.evaluate as engine

    spec = IndicatorSpec("students", Frequency.YEAR)
    values = {"students": np.array([[100.0, 110.0, 120.0, 500.0]])}
    at = Period.parse("2020", "year")
    calls = []
    real = engine.outlook
    monkeypatch.setattr(engine, "outlook", lambda *a: calls.append(a) or real(*a))
    result = evaluate(
        plan(values, [spec], [], {"students": years(2018, 2021)}), at={"students": at}
    )
    result = result.indicators["students"]
    assert calls == []
    seen = result.outlook
    assert result.outlook is seen and len(calls) == 1  # worked out once, then kept
    assert seen.at == result.at == at
    assert seen.forecast.value[0] == pytest.approx(130.0)  # not the 500 of 2021
    np.testing.assert_array_equal(seen.forecast.value, real(result, at).forecast.value)


def test_a_hundred_indicators_on_a_thousand_entities():
    # Speed is measured by `make bench`; here, that every figure comes out at that size.
    rows = [("ROOT", None, None, None)] + [(f"S{i:02d}", "ROOT", None, None) for i in range(20)]
    rows += [(f"D{i:04d}", f"S{i % 20:02d}", None, None) for i in range(979)]
    tree = Tree.build(rows)
    periods = years(2014, 2023)
    rng = np.random.default_rng(0)
    indicators = [IndicatorSpec(f"I{k:03d}", Frequency.YEAR) for k in range(100)]
    leaves = tree.depth[:, None] == 2
    values = {s.code: np.where(leaves, rng.uniform(1, 100, (1000, 10)), nan) for s in indicators}
    targets = [
        TargetSpec(s.code, code, periods[3], None, None, 0.2, periods[-1])
        for s in indicators
        for code in tree.codes
    ]
    inp = plan(values, indicators, targets, {s.code: periods for s in indicators}, tree)
    ev = evaluate(inp)
    assert len(ev.indicators) == 100
    root = tree.index("ROOT")
    for code in ("I000", "I099"):
        result = ev.indicators[code]
        assert result.figure[root] == pytest.approx(np.nansum(values[code], axis=0))
        # +20 % on the measured 2017 baseline, at every entity.
        assert result.target == pytest.approx(result.figure[:, 3] * 1.2)
        assert (result.status[:, 4:] != "no_target").all()


def test_a_formula_names_hyphenated_codes_with_underscores():
    periods = {code: years(2018, 2018) for code in ("own-resources", "students", "per-student")}
    indicators = [
        IndicatorSpec("own-resources", Frequency.YEAR),
        IndicatorSpec("students", Frequency.YEAR),
        IndicatorSpec(
            "per-student", Frequency.YEAR, kind="formula", formula="own_resources * 1000 / students"
        ),
    ]
    values = {"own-resources": np.array([[170.0]]), "students": np.array([[13400.0]])}
    out = evaluate(plan(values, indicators, [], periods)).indicators
    # 170 M€ × 1,000 / 13,400 students = 12.69 k€ per student.
    assert out["per-student"].figure[0, 0] == pytest.approx(170 * 1000 / 13400)


def test_a_band_applies_only_with_a_target_from_its_baseline_on():
    periods = {"rate": years(2016, 2019)}
    spec = IndicatorSpec("rate", Frequency.YEAR, polarity=Polarity.BAND, band_low=10, band_high=20)
    values = {"rate": np.array([[9.0, 15.0, 9.0, 25.0]])}
    without = evaluate(plan(values, [spec], [], periods)).indicators["rate"]
    assert list(without.status[0]) == ["no_target"] * 4
    target = TargetSpec("rate", "IMT", periods["rate"][1], None, None, None, periods["rate"][3])
    out = evaluate(plan(values, [spec], [target], periods)).indicators["rate"]
    # Before the baseline (2016): no target. 15 inside [10, 20]: on track. 9 is 1 below
    # the low bound: 1 − 1/10 = 0.90 → at risk. 25 at the final period, outside: missed.
    assert list(out.status[0]) == ["no_target", "on_track", "at_risk", "missed"]


def test_a_relative_target_needs_a_positive_measured_baseline():
    periods = {"n": years(2017, 2019)}
    spec = IndicatorSpec("n", Frequency.YEAR)
    target = TargetSpec("n", "IMT", periods["n"][0], None, None, 0.5, periods["n"][2])
    for start in (0.0, -10.0):
        values = {"n": np.array([[start, 1.0, 2.0]])}
        out = evaluate(plan(values, [spec], [target], periods)).indicators["n"]
        assert np.isnan(out.target[0])  # +50 % of zero (or of a negative) is no target
        assert list(out.status[0]) == ["no_target"] * 3


def test_partial_row_is_partial_over_the_arrays():
    from jalon.engine.consolidation import Consolidated

    rng = np.random.default_rng(3)
    own = np.where(rng.random((6, 4)) < 0.5, np.nan, 1.0)
    reporting = rng.integers(0, 4, (6, 4)).astype(np.int32)
    expected = rng.integers(0, 4, (6, 4)).astype(np.int32)
    c = Consolidated(own, own, own, reporting, expected, np.zeros((6, 4), bool))
    for row in range(6):
        assert c.partial_row(row) == c.partial[row].tolist()


def test_flagged_up_is_the_consolidation_of_flags_by_max():
    from jalon.engine.consolidation import consolidate, flagged_up

    rng = np.random.default_rng(11)
    periods = [Period(Frequency.YEAR, 2018 + k) for k in range(5)]
    for _ in range(20):
        n = int(rng.integers(1, 12))
        rows = []
        for k in range(n):
            parent = f"e{int(rng.integers(0, k))}" if k and rng.random() < 0.8 else None
            left = dt.date(2020, 6, 30) if rng.random() < 0.2 else None
            rows.append((f"e{k}", parent, None, left))
        tree = Tree.build(rows)
        flags = rng.choice([0.0, 1.0, np.nan], size=(3, n, len(periods)))
        expected = np.nan_to_num(consolidate(flags, tree, periods, Across.MAX).value) > 0
        np.testing.assert_array_equal(flagged_up(flags, tree, periods), expected)
