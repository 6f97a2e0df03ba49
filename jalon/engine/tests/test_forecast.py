import numpy as np
import pytest
from scipy import stats

from jalon.engine.forecast import forecast, historical_growth, required_growth
from jalon.engine.status import Polarity

nan = np.nan
YEARS = np.arange(2014.0, 2020.0)


def test_linear_trend_interval_and_probability_by_hand():
    values = np.array([[1.0, 2.5, 2.9, 4.2, 5.0, 6.1]])  # the last 5 points are used
    out = forecast(YEARS, values, 2022.0, target=np.array([9.0]))
    x, y = YEARS[1:], values[0, 1:]
    slope, intercept = np.polyfit(x, y, 1)
    prediction = intercept + slope * 2022
    s = np.sqrt(((y - (intercept + slope * x)) ** 2).sum() / 3)
    se = s * np.sqrt(1 + 1 / 5 + (2022 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    q = stats.t.ppf(0.9, 3)
    assert out.value[0] == pytest.approx(prediction)
    assert (out.low[0], out.high[0]) == pytest.approx((prediction - q * se, prediction + q * se))
    assert out.probability[0] == pytest.approx(stats.t.sf((9 - prediction) / se, 3))
    assert out.n_points[0] == 5
    assert out.method == (
        "Linear trend (least squares) on the last 5 points; 80 % prediction interval from "
        "Student's t with 3 degrees of freedom."
    )


def test_few_points():
    values = np.array([[nan] * 6, [nan] * 5 + [7.0], [nan] * 4 + [1.0, 3.0]])
    out = forecast(YEARS, values, 2022.0, target=np.array([1.0, 1.0, 1.0]))
    assert np.isnan(out.value[0]) and out.n_points[0] == 0
    assert out.value[1] == 7.0  # a single point: flat
    assert out.value[2] == pytest.approx(3.0 + 2.0 * 3)  # the line through two points
    assert np.isnan(out.low[1:]).all() and np.isnan(out.probability).all()
    assert "n − 2 degrees of freedom" in out.method


def test_perfect_line_collapses_the_interval():
    values = np.array([[10.0, 12.0, 14.0, 16.0, 18.0, 20.0]])
    up = forecast(YEARS, values, 2022.0, target=np.array([26.0]))
    assert up.value[0] == pytest.approx(26.0)
    assert up.low[0] == pytest.approx(26.0) and up.high[0] == pytest.approx(26.0)
    assert up.probability[0] == 1.0  # reaching the target exactly counts
    down = forecast(YEARS, values, 2022.0, target=np.array([25.0]), polarity=Polarity.DOWN)
    assert down.probability[0] == 0.0


def test_band_probability_and_input_order():
    values = np.array([[1.0, 2.5, 2.9, 4.2, 5.0, 6.1]])
    band = forecast(YEARS, values, 2022.0, polarity="band", band_low=8.0, band_high=9.5)
    up_to_high = forecast(YEARS, values, 2022.0, target=np.array([9.5]), polarity="down")
    above_low = forecast(YEARS, values, 2022.0, target=np.array([8.0]), polarity="up")
    assert band.probability[0] == pytest.approx(
        up_to_high.probability[0] + above_low.probability[0] - 1
    )
    shuffled = forecast(YEARS[::-1], values[:, ::-1], 2022.0, target=np.array([9.0]))
    assert shuffled.value[0] == pytest.approx(forecast(YEARS, values, 2022.0).value[0])


def test_required_against_historical_growth():
    # Students: 14,000 in 2019/20, 20,000 wanted in 2022/23: (20/14)^(1/3) − 1 = 12.6 % a year.
    rate, per_year = required_growth(14000.0, 2019 + 8 / 12, 20000.0, 2022 + 8 / 12)
    assert rate == pytest.approx((20000 / 14000) ** (1 / 3) - 1)
    assert per_year == pytest.approx(2000.0)
    rate, per_year = required_growth(
        np.array([0.0, 5.0]), 2020.0, np.array([5.0, 5.0]), np.array([2022.0, 2020.0])
    )
    assert np.isnan(rate).all() and per_year[0] == 2.5 and np.isnan(per_year[1])
    values = np.array([[100.0, nan, 110.0, 121.0, nan, 133.1]])
    h_rate, h_slope = historical_growth(YEARS, values, window=3)
    assert h_rate[0] == pytest.approx(0.1**1, rel=1e-9) or h_rate[0] == pytest.approx(
        (133.1 / 110) ** (1 / 3) - 1
    )
    assert h_rate[0] == pytest.approx((133.1 / 110) ** (1 / 3) - 1)
    assert h_slope[0] == pytest.approx(np.polyfit([2016, 2017, 2019], [110, 121, 133.1], 1)[0])
