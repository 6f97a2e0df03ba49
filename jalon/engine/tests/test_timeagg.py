import numpy as np
import pytest

from jalon.engine.periods import Period, period_range
from jalon.engine.timeagg import OverTime, aggregate_over_time, cumulative

nan = np.nan


def months(first, last):
    return period_range(Period.parse(first, "month"), Period.parse(last, "month"))


def test_months_to_quarters_flow_and_stock():
    subs = months("2018-01", "2018-06")
    quarters = [Period.parse("2018-Q1", "quarter"), Period.parse("2018-Q2", "quarter")]
    values = np.array([1.0, 2.0, 3.0, 4.0, nan, 6.0])
    total, complete = aggregate_over_time(values, subs, quarters, OverTime.FLOW)
    np.testing.assert_array_equal(total, [6.0, 10.0])  # Q2 partial: 4 + 6, flagged incomplete
    np.testing.assert_array_equal(complete, [True, False])
    last, complete = aggregate_over_time(values, subs, quarters, "stock")
    np.testing.assert_array_equal(last, [3.0, 6.0])


def test_stock_takes_the_latest_by_date_not_by_position():
    subs = months("2018-01", "2018-03")[::-1]  # March, February, January
    quarter = [Period.parse("2018-Q1", "quarter")]
    last, _ = aggregate_over_time(np.array([nan, 2.0, 1.0]), subs, quarter, OverTime.STOCK)
    assert last[0] == 2.0  # March is missing: February is the latest known


def test_all_missing_is_no_data_and_zero_stays_zero():
    subs = months("2018-01", "2018-06")
    quarters = [Period.parse("2018-Q1", "quarter"), Period.parse("2018-Q2", "quarter")]
    values = np.array([[nan, nan, nan, 0.0, 0.0, 0.0]])
    total, complete = aggregate_over_time(values, subs, quarters, OverTime.FLOW)
    assert np.isnan(total[0, 0]) and total[0, 1] == 0.0
    np.testing.assert_array_equal(complete, [[False, True]])


def test_months_to_academic_years():
    subs = months("2018-09", "2019-08")
    years = [Period.parse("2018/19", "academic_year")]
    total, complete = aggregate_over_time(np.ones(12), subs, years, OverTime.FLOW)
    assert total[0] == 12.0 and complete[0]
    total, complete = aggregate_over_time(np.ones(11), subs[1:], years, OverTime.FLOW)
    assert total[0] == 11.0 and not complete[0]  # September missing


def test_quarters_do_not_split_into_academic_years():
    quarters = period_range(Period.parse("2018-Q3", "quarter"), Period.parse("2019-Q2", "quarter"))
    with pytest.raises(ValueError, match="straddles"):
        aggregate_over_time(
            np.ones(4), quarters, [Period.parse("2018/19", "academic_year")], "flow"
        )


def test_rate_is_recomputed_from_its_parts():
    subs = months("2018-01", "2018-03")
    quarter = [Period.parse("2018-Q1", "quarter")]
    numerator = np.array([10.0, 0.0, 20.0])
    denominator = np.array([100.0, 50.0, 50.0])
    rate, complete = aggregate_over_time(
        None, subs, quarter, OverTime.RATE, numerator=numerator, denominator=denominator
    )
    assert rate[0] == pytest.approx(30 / 200)  # not the mean of 0.1, 0 and 0.4
    rate, _ = aggregate_over_time(
        None, subs, quarter, "rate", numerator=numerator, denominator=np.zeros(3)
    )
    assert np.isnan(rate[0])
    with pytest.raises(ValueError, match="numerator and denominator"):
        aggregate_over_time(numerator, subs, quarter, "rate")


def test_cumulative_is_not_an_aggregation():
    with pytest.raises(ValueError, match="cumulative()"):
        aggregate_over_time(np.ones(3), months("2018-01", "2018-03"), [], OverTime.CUMULATIVE)


def test_cumulative_with_a_gap_and_a_start():
    flows = np.array([5.0, 1.0, 2.0, nan, 4.0])
    np.testing.assert_array_equal(cumulative(flows, 1), [nan, 1.0, 3.0, nan, nan])
    np.testing.assert_array_equal(cumulative(flows[:3]), [5.0, 6.0, 8.0])
    two = cumulative(np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), np.array([0, 2]))
    np.testing.assert_array_equal(two, [[1.0, 2.0, 3.0], [nan, nan, 2.0]])
