"""Verdicts a careful analyst would sign: milestones that bind, every target judged, the
share of the way done, members out of step, forecasts without hindsight and within bounds.

Each test names the case from public plans that it stands for; the figures are made up
unless a test says otherwise.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jalon.engine.consolidation import Across
from jalon.engine.evaluate import (
    EvaluationInput,
    IndicatorSpec,
    TargetSpec,
    evaluate,
    outlook,
)
from jalon.engine.periods import Frequency, Period
from jalon.engine.status import Polarity
from jalon.engine.timeagg import OverTime, carry_forward
from jalon.engine.trajectory import Shape
from jalon.engine.tree import Tree

from .imt import years

nan = np.nan
YEAR = Frequency.YEAR


def one(values, spec, targets, periods, tree=None, at=None):
    tree = tree or Tree.build([("U", None, None, None)])
    inp = EvaluationInput(tree, [], [], [spec], {spec.code: periods}, values, targets)
    return evaluate(inp, at=at).indicators[spec.code]


def y(year: int) -> Period:
    return Period(YEAR, year)


# --- Interim milestones bind -------------------------------------------------------------


def climate_target(final: float) -> TargetSpec:
    """Emissions 100 in 2016, −20 % by 2020 (a milestone), a looser final level in 2026."""
    return TargetSpec(
        "emissions",
        "U",
        y(2016),
        100.0,
        final,
        None,
        y(2026),
        Shape.MILESTONES,
        milestones=((y(2020), 80.0),),
    )


def test_a_missed_stricter_milestone_is_not_achieved_down():
    spec = IndicatorSpec("emissions", YEAR, polarity=Polarity.DOWN)
    # Far above the −20 % milestone, yet below the looser final level of 96.
    values = {"emissions": np.array([[100.0, 98, 97, 96, 95, nan, nan, nan, nan, nan, nan]])}
    r = one(values, spec, [climate_target(96.0)], years(2016, 2026))
    at_2020 = years(2016, 2026).index(y(2020))
    assert r.expected[0, at_2020] == 80.0
    assert r.status[0, at_2020] == "off_track"  # 95 against 80 expected: 25 % of the way
    assert r.progress[0, at_2020] == pytest.approx(5 / 20)
    assert all(s != "achieved" for s in r.status[0, : at_2020 + 1])


def test_a_missed_stricter_milestone_is_not_achieved_up():
    spec = IndicatorSpec("graduates", YEAR, polarity=Polarity.UP)
    target = TargetSpec(
        "graduates", "U", y(2016), 100.0, 104.0, None, y(2026), Shape.MILESTONES,
        milestones=((y(2020), 120.0),),
    )  # fmt: skip
    # Above the looser final target of 104 from 2017 on, but short of the path to 120.
    values = {"graduates": np.array([[100.0, 106, 111, 116, 118, nan, nan, nan, nan, nan, nan]])}
    r = one(values, spec, [target], years(2016, 2026))
    assert list(r.status[0, :5]) == ["on_track", "on_track", "on_track", "on_track", "at_risk"]
    assert r.progress[0, 4] == pytest.approx(18 / 20)
    # Once the stricter milestone is met, the final target is too: achieved early.
    values["graduates"][0, 5] = 121.0
    r = one(values, spec, [target], years(2016, 2026))
    assert r.status[0, 5] == "achieved"


def test_without_milestones_reaching_the_target_early_is_achieved():
    spec = IndicatorSpec("students", YEAR)
    target = TargetSpec("students", "U", y(2017), 100.0, 120.0, None, y(2022))
    r = one({"students": np.array([[100.0, 125, nan, nan, nan, nan]])}, spec, [target],
            years(2017, 2022))  # fmt: skip
    assert r.status[0, 1] == "achieved"


# --- Every target gets its own verdict; achievement is a number --------------------------


def two_documents():
    """Students: the strategy says one figure, a state contract a lower one (as at IMT)."""
    spec = IndicatorSpec("students", YEAR)
    strategy = TargetSpec(
        "students", "U", y(2017), 13400.0, 20000.0, None, y(2022), primary=True,
        document="strategy",
    )  # fmt: skip
    contract = TargetSpec(
        "students", "U", y(2017), 13000.0, 15300.0, None, y(2022), primary=False,
        document="contract",
    )  # fmt: skip
    values = {"students": np.array([[13400.0, 13900, 14200, 14700, 15000, nan]])}
    return spec, [strategy, contract], values


def test_each_target_is_judged_on_its_own():
    spec, targets, values = two_documents()
    r = one(values, spec, targets, years(2017, 2022))
    t = r.targets
    assert list(t.document) == ["strategy", "contract"] and list(t.primary) == [True, False]
    at_2021 = 4
    assert t.status[0, at_2021] == "off_track"  # 15,000 against 18,680 expected
    assert t.status[1, at_2021] == "on_track"  # 15,000 against 14,840 expected
    assert r.status[0, at_2021] == "off_track"  # the primary one drives the headline
    p = r.outlook.target_forecast.probability
    assert p[0] < 0.01 and p[1] > 0.5  # each with its own probability
    assert r.outlook.forecast.probability[0] == p[0]


def test_two_primary_targets_at_one_entity_are_refused_naming_it():
    spec, (strategy, contract), values = two_documents()
    contract = dataclasses.replace(contract, primary=True)
    with pytest.raises(ValueError, match="Indicator students has two primary targets at U"):
        one(values, spec, [strategy, contract], years(2017, 2022))


def test_achievement_is_the_share_of_the_way_negative_when_moving_away():
    spec, targets, values = two_documents()
    values["students"][0, 4] = 13000.0  # fell below the baseline
    r = one(values, spec, targets, years(2017, 2022))
    assert r.achievement[0, 3] == pytest.approx((14700 - 13400) / 6600)
    assert r.achievement[0, 4] == pytest.approx(-400 / 6600)
    assert r.targets.achievement[1, 4] == pytest.approx(0.0)  # back at the contract's baseline
    down = IndicatorSpec("emissions", YEAR, polarity=Polarity.DOWN)
    target = TargetSpec("emissions", "U", y(2017), 100.0, 50.0, None, y(2022))
    r = one({"emissions": np.array([[100.0, 90, 110, nan, nan, nan]])}, down, [target],
            years(2017, 2022))  # fmt: skip
    assert r.achievement[0, 1] == pytest.approx(0.2) and r.achievement[0, 2] == pytest.approx(-0.2)
    level = IndicatorSpec("startups", YEAR, polarity=Polarity.KEEP_ABOVE)
    target = TargetSpec("startups", "U", y(2017), 100.0, 100.0, None, y(2022))
    r = one({"startups": np.array([[100.0, 90, nan, nan, nan, nan]])}, level, [target],
            years(2017, 2022))  # fmt: skip
    assert np.isnan(r.achievement[0, 1])  # a level is kept, not reached


def test_a_past_target_period_shows_the_outcome_not_a_probability():
    spec, targets, values = two_documents()
    values["students"][0, 5] = 15800.0
    r = one(values, spec, targets, years(2017, 2022))
    o = r.outlook
    assert o.target_outcome[0] == 15800.0 and o.target_outcome[1] == 15800.0
    assert np.isnan(o.target_forecast.probability).all() and np.isnan(o.forecast.value[0])
    assert list(r.targets.status[:, 5]) == ["missed", "achieved"]
    # Standing in 2020, the 2022 figure is not known: a forecast and a probability again.
    early = outlook(r, y(2020))
    assert np.isnan(early.target_outcome).all() and not np.isnan(early.forecast.probability[0])


# --- Forecasts without hindsight, within bounds, after breaks ------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)), min_size=6, max_size=6),
    st.integers(0, 5),
)
def test_an_outlook_from_a_period_never_uses_later_figures(series, cut):
    spec, targets, _ = two_documents()
    values = np.array([[nan if v is None else v for v in series]])
    periods = years(2017, 2022)
    r = one({"students": values}, spec, targets, periods)
    later = values.copy()
    later[0, cut + 1 :] = nan  # what someone standing at `cut` would have had
    seen = one({"students": later}, spec, targets, periods, at={"students": periods[cut]})
    got, want = outlook(r, periods[cut]), seen.outlook
    for a, b in (
        (got.forecast.value, want.forecast.value),
        (got.forecast.probability, want.forecast.probability),
        (got.target_forecast.value, want.target_forecast.value),
        (got.required_rate, want.required_rate),
        (got.historical_per_year, want.historical_per_year),
    ):
        np.testing.assert_allclose(a, b, equal_nan=True)


def test_counts_are_never_forecast_below_zero():
    # A falling count: the line crosses zero before the target period.
    spec = IndicatorSpec("applicants", YEAR, low=0.0)
    values = {"applicants": np.array([[50.0, 35, 22, 10, nan, nan, nan, nan]])}
    target = TargetSpec("applicants", "U", y(2017), 50.0, 80.0, None, y(2024))
    f = one(values, spec, [target], years(2017, 2024)).forecast
    assert f.value[0] == 0.0 and f.low[0] == 0.0 and f.high[0] >= 0.0
    assert f.probability[0] < 0.01
    assert "never below 0" in f.method


def test_shares_are_forecast_within_their_bounds():
    spec = IndicatorSpec("graduation-rate", YEAR, low=0.0, high=100.0)
    values = {"graduation-rate": np.array([[70.0, 80, 91, 99, nan, nan, nan]])}
    target = TargetSpec("graduation-rate", "U", y(2017), 70.0, 95.0, None, y(2023))
    f = one(values, spec, [target], years(2017, 2023)).forecast
    assert f.value[0] == 100.0 and f.high[0] == 100.0 and f.low[0] <= 100.0
    assert 0.5 < f.probability[0] <= 1.0


def test_after_a_break_in_series_the_trend_fits_only_the_new_segment():
    periods = years(2015, 2024)
    # Method change in 2020: figures jump to a new level, then grow by 2 a year.
    values = {"share": np.array([[10.0, 11, 12, 13, 14, 40, 42, 44, nan, nan]])}
    target = TargetSpec("share", "U", y(2015), 10.0, 60.0, None, y(2024))
    plain = IndicatorSpec("share", YEAR)
    broken = IndicatorSpec("share", YEAR, breaks=(y(2020),))
    r = one(values, broken, [target], periods)
    assert r.outlook.since == y(2020)
    assert r.forecast.value[0] == pytest.approx(44 + 2 * 2)  # 48 in 2024, on 2020-2022 only
    assert r.forecast.n_points[0] == 3
    assert r.outlook.historical_per_year[0] == pytest.approx(2.0)
    assert one(values, plain, [target], periods).forecast.value[0] != pytest.approx(48.0)
    # Standing before the break, the break does not apply yet.
    assert outlook(r, y(2018)).since is None


def test_no_figure_since_the_break_means_no_forecast():
    values = {"share": np.array([[10.0, 11, 12, nan, nan, nan]])}
    spec = IndicatorSpec("share", YEAR, breaks=(y(2020),))
    r = one(values, spec, [], years(2017, 2022))
    assert np.isnan(r.forecast.value[0]) and r.forecast.n_points[0] == 0


# --- Reporters out of step ---------------------------------------------------------------


def test_carry_forward_fills_gaps_up_to_a_limit_with_their_age():
    values = np.array([[1.0, nan, nan, nan, 5.0, nan], [nan, 2.0, nan, nan, nan, nan]])
    filled, age = carry_forward(values, 2)
    np.testing.assert_array_equal(
        filled, [[1.0, 1.0, 1.0, nan, 5.0, 5.0], [nan, 2.0, 2.0, 2.0, nan, nan]]
    )
    np.testing.assert_array_equal(age, [[0, 1, 2, 0, 0, 1], [0, 0, 1, 2, 0, 0]])


def federation():
    return Tree.build(
        [("U", None, None, None), ("A", "U", None, None), ("B", "U", None, None),
         ("C", "U", None, None)]
    )  # fmt: skip


def test_a_stock_carries_a_members_last_figure_marked_and_counted_apart():
    tree = federation()
    u, a, b, c = (tree.index(code) for code in "UABC")
    staff = np.full((4, 3), nan)
    staff[a] = [100.0, 110, 120]
    staff[b] = [50.0, 55, nan]  # B has not reported 2019
    staff[c] = [30.0, nan, nan]  # C: two periods late
    spec = IndicatorSpec("staff", YEAR, over_time=OverTime.STOCK, carry_forward=1)
    r = one({"staff": staff}, spec, [], years(2017, 2019), tree=tree)
    assert r.figure[u, 2] == 120 + 55  # B carried one period; C's 2017 figure is too old
    assert r.carried[b, 2] == 1 and r.carried[c, 1] == 1 and r.carried[c, 2] == 0
    assert r.rests_on_carried[u, 2] and r.rests_on_carried[b, 2]
    assert r.carried_members[u, 2] == 1 and r.carried_members[u, 1] == 1
    assert r.consolidated.reporting[u, 2] == 2 and r.consolidated.expected[u, 2] == 3
    # Without the rule, the member counts as missing: the total says so by its coverage.
    plain = one({"staff": staff}, IndicatorSpec("staff", YEAR, over_time=OverTime.STOCK), [],
                years(2017, 2019), tree=tree)  # fmt: skip
    assert plain.figure[u, 2] == 120 and plain.consolidated.reporting[u, 2] == 1
    assert not plain.rests_on_carried.any()


def test_nothing_is_carried_into_a_period_no_member_reported():
    tree = federation()
    staff = np.full((4, 3), nan)
    staff[tree.index("A")] = [100.0, 110, nan]
    staff[tree.index("B")] = [50.0, 55, nan]  # 2019: nobody has reported yet
    spec = IndicatorSpec("staff", YEAR, over_time=OverTime.STOCK, carry_forward=2)
    r = one({"staff": staff}, spec, [], years(2017, 2019), tree=tree)
    assert np.isnan(r.figure[tree.index("U"), 2]) and not r.carried[:, 2].any()


def test_a_flow_is_never_carried():
    tree = federation()
    money = np.full((4, 2), nan)
    money[tree.index("A")] = [1.0, 2.0]
    money[tree.index("B")] = [1.0, nan]
    spec = IndicatorSpec("money", YEAR, over_time=OverTime.FLOW, carry_forward=3)
    r = one({"money": money}, spec, [], years(2017, 2018), tree=tree)
    assert r.figure[tree.index("U"), 1] == 2.0 and not r.carried.any()


def test_a_parent_own_figure_is_not_overridden_by_carrying():
    tree = federation()
    u = tree.index("U")
    staff = np.full((4, 2), nan)
    staff[u] = [500.0, nan]  # the parent reported itself in 2017 only
    staff[[tree.index(code) for code in "ABC"], 1] = [10.0, 20.0, 30.0]
    spec = IndicatorSpec("staff", YEAR, over_time=OverTime.STOCK, carry_forward=2,
                         across=Across.SUM)  # fmt: skip
    r = one({"staff": staff}, spec, [], years(2017, 2018), tree=tree)
    assert r.figure[u, 1] == 60.0 and r.carried[u, 1] == 0


# --- Standing anywhere, past targets, carried figures, sole targets, cumulative members --


def test_standing_before_the_axis_nothing_is_known_and_after_it_everything():
    spec, targets, values = two_documents()
    r = one(values, spec, targets, years(2017, 2022))
    before = outlook(r, y(2012))
    assert np.isnan(before.forecast.value).all() and np.isnan(before.required_rate).all()
    after = outlook(r, y(2030))
    assert after.forecast.n_points[0] == 5  # every figure, from 2017 to 2021


def test_a_target_period_over_without_its_figure_has_no_probability():
    spec, targets, values = two_documents()
    r = one(values, spec, targets, years(2017, 2022))
    standing = outlook(r, y(2023))  # 2022 is over; its figure is not in
    assert np.isnan(standing.target_outcome).all()
    assert standing.target_past.all() and np.isnan(standing.target_forecast.probability).all()
    assert not np.isnan(standing.forecast.value[0])  # an estimate of the missing figure
    assert not outlook(r, y(2021)).target_past.any()


def test_a_carried_figure_is_no_observation_for_the_trend():
    tree = federation()
    staff = np.full((4, 5), nan)
    staff[tree.index("A")] = [100.0, 110, nan, nan, nan]  # reported twice, carried after
    staff[tree.index("B")] = [50.0, 55, 60, 65, 70]
    spec = IndicatorSpec("staff", YEAR, over_time=OverTime.STOCK, carry_forward=3)
    r = one({"staff": staff}, spec, [], years(2017, 2021), tree=tree)
    a = tree.index("A")
    assert r.carried[a].tolist() == [0, 0, 1, 2, 3]
    assert r.forecast.n_points[a] == 2  # the two figures it reported, not five


def test_an_entitys_only_target_drives_its_headline():
    spec, targets, values = two_documents()
    contract = targets[1]  # not said to be primary
    r = one(values, spec, [contract], years(2017, 2022))
    assert r.targets.primary.tolist() == [True]
    assert r.status[0, 4] == "on_track" and r.target[0] == 15300


def test_members_of_a_cumulative_indicator_run_from_their_parents_baseline():
    tree = Tree.build([("R", None, None, None), ("A", "R", None, None), ("B", "R", None, None)])
    flows = np.full((3, 4), nan)
    flows[tree.index("A")] = [nan, 40, 50, 10]
    flows[tree.index("B")] = [nan, 30, 20, 5]
    spec = IndicatorSpec("startups", YEAR, over_time=OverTime.CUMULATIVE)
    target = TargetSpec("startups", "R", y(2017), 0.0, 500.0, None, y(2022))
    r = one({"startups": flows}, spec, [target], years(2017, 2020), tree=tree)
    assert r.figure[tree.index("R")].tolist() == [0, 70, 140, 155]
    assert r.figure[tree.index("A")].tolist() == [0, 40, 90, 100]
    assert r.figure[tree.index("B")].tolist() == [0, 30, 50, 55]
    alone = one({"startups": flows}, spec, [], years(2017, 2020), tree=tree)
    assert alone.figure[tree.index("A")].tolist()[1:] == [40, 90, 100]  # from its first figure
