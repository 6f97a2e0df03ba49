"""Forecast to the target period from a linear trend on the recent points, and growth rates.

The model is deliberately simple enough to explain next to the figure: ordinary least
squares on the last few points, with a Student's t prediction interval. Everything is
vectorised over series (entities): masked sums, no loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .arrays import as_float, safe_divide
from .status import Polarity

WINDOW = 5  # recent points a trend is fitted on
LEVEL = 0.8  # coverage of the prediction interval


@dataclass
class Forecast:
    """Forecasts over series; `method` says in a sentence how they were made."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    probability: np.ndarray  # of reaching the target
    n_points: np.ndarray
    method: str

    def take(self, rows, *, hide=None, hide_probability=None) -> Forecast:
        """Return the forecasts of the series `rows`, none where `hide` holds (and no
        probability where `hide_probability` does)."""

        def pick(x: np.ndarray, mask=hide) -> np.ndarray:
            out = x[rows].astype(float)
            return out if mask is None else np.where(mask, np.nan, out)

        probability = pick(self.probability)
        if hide_probability is not None:
            probability = np.where(hide_probability, np.nan, probability)
        return Forecast(
            value=pick(self.value),
            low=pick(self.low),
            high=pick(self.high),
            probability=probability,
            n_points=self.n_points[rows],
            method=self.method,
        )


def _recent(positions, values, window: int, since=None):
    """Return (x (P,), y (S, P), mask of the last `window` points with a figure), time-sorted.

    `since` (scalar or (S,), a position) leaves out the points before it: the segment after
    a break in series.
    """
    x = as_float(positions)
    y = np.atleast_2d(as_float(values))
    if (x[1:] < x[:-1]).any():  # the input order of periods must not matter
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[:, order]
    if since is not None:
        start = np.broadcast_to(as_float(since), y.shape[:1])
        y = np.where(x[None, :] >= np.nan_to_num(start, nan=-np.inf)[:, None], y, np.nan)
    present = ~np.isnan(y)
    # Points at or after each one, column by column from the end: few columns, many rows.
    from_end = np.empty(present.shape, dtype=np.int32)
    count = np.zeros(present.shape[0], dtype=np.int32)
    for column in range(present.shape[1] - 1, -1, -1):
        count += present[:, column]
        from_end[:, column] = count
    return x, y, present & (from_end <= window)


@dataclass
class Trend:
    """The least-squares lines fitted on the recent points of each series (S rows)."""

    x: np.ndarray  # (P,) positions, time-sorted
    y: np.ndarray  # (S, P)
    used: np.ndarray  # (S, P) the points fitted on
    n: np.ndarray
    x_mean: np.ndarray
    y_mean: np.ndarray
    sxx: np.ndarray
    slope: np.ndarray

    def head(self, rows: int) -> Trend:
        """Return the trends of the first ``rows`` series."""
        return Trend(self.x, *(getattr(self, name)[:rows] for name in _ROWS))


_ROWS = ("y", "used", "n", "x_mean", "y_mean", "sxx", "slope")


def trend(positions, values, *, window: int = WINDOW, since=None) -> Trend:
    """Return the trends of the series ``values`` (S, P) on their last ``window`` points
    with a figure (from position ``since`` on): what `forecast` and `historical_growth`
    fit, fitted once for both."""
    x, y, used = _recent(positions, values, window, since)
    return Trend(x, y, used, *_fit(x, y, used))


def _fit(x, y, used):
    # Row sums as products with a column of ones: one BLAS call rather than a reduction
    # over a few columns per row.
    w = used.astype(float)
    ones = np.ones(w.shape[1])
    n = (w @ ones).astype(np.int64)
    yw = np.where(used, y, 0.0)
    nn = np.where(n > 0, n, 1)
    x_mean = (w @ x) / nn
    y_mean = (yw @ ones) / nn
    dx = np.where(used, x - x_mean[:, None], 0.0)
    sxx = (dx * dx) @ ones
    slope = safe_divide((dx * (yw - y_mean[:, None])) @ ones, sxx)
    return n, x_mean, y_mean, sxx, slope


def bounds_text(low, high) -> str:
    """Return how forecasts are kept within an indicator's bounds, in a clause ("" if open)."""
    if low is not None and high is not None:
        return f"kept within the indicator's bounds ({low:g} to {high:g}), interval truncated"
    if low is not None:
        return f"never below {low:g}, the indicator's lowest figure (interval truncated)"
    if high is not None:
        return f"never above {high:g}, the indicator's highest figure (interval truncated)"
    return ""


def _method(n_points: np.ndarray, window: int, level: float, low=None, high=None) -> str:
    pct = f"{level * 100:g} %"
    bounded = bounds_text(low, high)
    tail = f"; {bounded}." if bounded else "."
    if n_points.size and n_points.min() == n_points.max() >= 3:  # one count, of 3 or more
        n = int(n_points.flat[0])
        return (
            f"Linear trend (least squares) on the last {n} points; {pct} prediction interval "
            f"from Student's t with {n - 2} degrees of freedom{tail}"
        )
    return (
        f"Linear trend (least squares) on up to the last {window} points of each series; "
        f"{pct} prediction interval from Student's t with n − 2 degrees of freedom (n = points "
        "used); with 2 points a line through them and with 1 point that value, both without "
        f"interval or probability{tail}"
    )


def forecast(
    positions,
    values,
    at,
    *,
    target=None,
    polarity: Polarity = Polarity.UP,
    band_low=None,
    band_high=None,
    low=None,
    high=None,
    since=None,
    window: int = WINDOW,
    level: float = LEVEL,
    fitted: Trend | None = None,
) -> Forecast:
    """Return the forecast of each series `values` (S, P) at position `at` (scalar or (S,)).

    The trend is fitted on the last `window` points with a figure (from position `since`
    on, where given: the segment after a break in series). Prediction at x0:
    a + b·x0, standard error s·√(1 + 1/n + (x0 − x̄)² / Sxx), interval from Student's t
    with n − 2 degrees of freedom. With 1 point the forecast is that value; with 2 the line
    through them; neither has an interval or a probability. A perfect line (s = 0)
    collapses the interval to the value and the probability to 1 or 0.

    Probability of reaching `target`: P(Y ≥ target) for UP and KEEP_ABOVE, P(Y ≤ target)
    for DOWN and KEEP_BELOW, P(band_low ≤ Y ≤ band_high) for BAND.

    ``fitted``, the `trend` of ``values`` made already, is used rather than fitted again.

    `low` and `high` are the indicator's bounds (a count is never negative, a share never
    above 100 %): the forecast and its interval are truncated to them, which leaves every
    probability of a target within the bounds as it is (the mass beyond a bound sits on it).
    """
    polarity = Polarity(polarity)
    if fitted is None:
        fitted = trend(positions, values, window=window, since=since)
    x, y, used = fitted.x, fitted.y, fitted.used
    n, x_mean, y_mean, sxx, slope = (getattr(fitted, name) for name in _ROWS[2:])
    x0 = np.broadcast_to(as_float(at), n.shape)
    value = np.where(n >= 2, y_mean + slope * (x0 - x_mean), np.where(n == 1, y_mean, np.nan))

    fitted = y_mean[:, None] + np.nan_to_num(slope)[:, None] * (x - x_mean[:, None])
    sse = np.where(used, (y - fitted) ** 2, 0.0).sum(axis=1)
    df = n - 2
    s = np.sqrt(safe_divide(sse, np.where(df > 0, df, np.nan)))
    # Rounding leaves a tiny residual on a perfect line; below this it is exactly zero.
    scale = np.nanmax(np.where(used, np.abs(y), 0.0), axis=1, initial=1.0)
    s = np.where(s <= 1e-9 * scale, 0.0, s)
    se = s * np.sqrt(1 + 1 / np.where(n > 0, n, 1) + safe_divide((x0 - x_mean) ** 2, sxx))
    df_t = np.where(df > 0, df, 1)
    # Few degrees of freedom (1 to the window's points less 2): the quantile is computed
    # once for each. Student's t quantile and distribution function, called as the ufuncs
    # scipy.stats's t.ppf and t.cdf wrap (their argument checks cost more than the sums).
    each = special.stdtrit(np.arange(1, df_t.max(initial=1) + 1), 0.5 + level / 2)
    quantile = each[df_t - 1]
    has_interval = df > 0
    interval_low = np.where(has_interval, value - quantile * se, np.nan)
    interval_high = np.where(has_interval, value + quantile * se, np.nan)

    def prob_below(bound) -> np.ndarray:  # P(Y <= bound)
        bound = np.broadcast_to(as_float(bound), n.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            smooth = special.stdtr(df_t, (bound - value) / np.where(se > 0, se, 1.0))
        out = np.where(se > 0, smooth, (value <= bound) * 1.0)
        return np.where(np.isnan(bound) | np.isnan(value), np.nan, out)

    if polarity is Polarity.BAND:
        lo = np.broadcast_to(as_float(-np.inf if band_low is None else band_low), n.shape)
        hi = np.broadcast_to(as_float(np.inf if band_high is None else band_high), n.shape)
        lo = np.where(np.isnan(lo), -np.inf, lo)  # a missing bound is open
        hi = np.where(np.isnan(hi), np.inf, hi)
        inside = ((value >= lo) & (value <= hi)) * 1.0
        probability = np.where(se > 0, prob_below(hi) - prob_below(lo), inside)
    elif target is None:
        probability = np.full(n.shape, np.nan)
    elif polarity in (Polarity.DOWN, Polarity.KEEP_BELOW):
        probability = prob_below(target)
    else:
        # P(Y >= target) = 1 − P(Y < target); the t distribution is continuous, except a
        # perfect line, where reaching the target exactly counts as reaching it.
        p = 1 - prob_below(target)
        exact = (se == 0) & (value >= np.broadcast_to(as_float(target), n.shape))
        probability = np.where(exact, 1.0, p)
    probability = np.where(has_interval & ~np.isnan(value), probability, np.nan)
    floor = -np.inf if low is None else low
    ceiling = np.inf if high is None else high
    return Forecast(
        value=np.clip(value, floor, ceiling),
        low=np.clip(interval_low, floor, ceiling),
        high=np.clip(interval_high, floor, ceiling),
        probability=probability,
        n_points=n,
        method=_method(n, window, level, low, high),
    )


def required_growth(latest_value, latest_position, target_value, target_position):
    """Return (rate, per_year) still required to go from the latest figure to the target.

    rate = (target / latest) ** (1 / years) − 1, the compound annual growth rate, defined
    only when both values are positive and years > 0 (NaN otherwise); per_year = (target
    − latest) / years, NaN when years <= 0.
    """
    latest, target = as_float(latest_value), as_float(target_value)
    years = as_float(target_position) - as_float(latest_position)
    ok = (latest > 0) & (target > 0) & (years > 0)
    with np.errstate(all="ignore"):  # huge ratios overflow to inf: no rate
        rate = np.where(
            ok, (target / np.where(ok, latest, 1.0)) ** (1 / np.where(ok, years, 1.0)) - 1, np.nan
        )
        per_year = np.where(years > 0, (target - latest) / np.where(years > 0, years, 1.0), np.nan)
    return np.where(np.isfinite(rate), rate, np.nan), per_year


def historical_growth(
    positions, values, *, window: int = WINDOW, since=None, fitted: Trend | None = None
):
    """Return (rate, per_year) over the last `window` points with a figure of each series.

    rate is the compound annual rate between the first and last of those points (both
    positive); per_year is the least-squares slope (NaN with fewer than 2 points). Points
    before `since` (a break in series) are left out. ``fitted``: as for `forecast`.
    """
    if fitted is None:
        fitted = trend(positions, values, window=window, since=since)
    x, y, used, n, slope = fitted.x, fitted.y, fitted.used, fitted.n, fitted.slope
    first = np.argmax(used, axis=1)
    last = used.shape[1] - 1 - np.argmax(used[:, ::-1], axis=1)
    rows = np.arange(y.shape[0])
    rate, _ = required_growth(y[rows, first], x[first], y[rows, last], x[last])
    return np.where(n >= 2, rate, np.nan), np.where(n >= 2, slope, np.nan)
