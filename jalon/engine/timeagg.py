"""Time aggregation of sub-period figures into coarser periods, by the "over time" rule.

The over-time rule is kept apart from the across-entities rule because they differ:
trucks are summed across cities but averaged across weeks (DESIGN.md, "Indicator").
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from .arrays import as_float, safe_divide
from .periods import Period, period_range


class OverTime(StrEnum):
    """How an indicator's sub-period figures make up a longer period's figure."""

    FLOW = "flow"  # sum of sub-periods
    STOCK = "stock"  # last value
    RATE = "rate"  # recomputed from numerator and denominator parts
    CUMULATIVE = "cumulative"  # running total since the baseline


def _membership(sub_periods: list[Period], periods: list[Period]) -> tuple[np.ndarray, np.ndarray]:
    """Return the (n_sub, P) matrix of which period holds each sub-period, and the number of
    sub-periods each period should have."""
    member = np.zeros((len(sub_periods), len(periods)), dtype=bool)
    for j, period in enumerate(periods):
        for i, sub in enumerate(sub_periods):
            if period.contains(sub):
                member[i, j] = True
            elif sub.start <= period.end and period.start <= sub.end:
                # Splitting a sub-period's figure between two periods would be a guess.
                raise ValueError(f"{sub.code} straddles the boundary of {period.code}")
    expected = np.zeros(len(periods), dtype=int)
    if sub_periods:
        sub = sub_periods[0]
        for j, period in enumerate(periods):
            first = Period.containing(period.start, sub.frequency, sub.start_month)
            last = Period.containing(period.end, sub.frequency, sub.start_month)
            expected[j] = len(period_range(first, last))
    return member, expected


def _flow(values: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = ~np.isnan(values)
    total = np.where(present, values, 0.0) @ member
    count = present.astype(int) @ member.astype(int)
    return np.where(count > 0, total, np.nan), count


def aggregate_over_time(
    values: np.ndarray,
    sub_periods: list[Period],
    periods: list[Period],
    rule: OverTime,
    *,
    numerator: np.ndarray | None = None,
    denominator: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (figures (..., P), complete (..., P) bool) of `values` (..., n_sub) over `periods`.

    Each sub-period goes to the period that contains it; sub-periods outside every
    period are left out, and one that straddles a period boundary raises ValueError.
    `complete` says whether every sub-period of the period has a figure: an incomplete
    period still gets a figure (a partial one for FLOW, the latest known for STOCK) so
    that the caller can show it with its coverage; NaN only when no sub-period has one.

    - FLOW: sum of the sub-periods' figures.
    - STOCK: the figure of the latest sub-period (by date, not array position) that has one.
    - RATE: Σ numerator / Σ denominator over the sub-periods (`values` is not used;
      NaN when the denominator sum is 0 or missing).
    - CUMULATIVE is a running total, not an aggregation: use `cumulative`.
    """
    rule = OverTime(rule)
    if rule is OverTime.CUMULATIVE:
        raise ValueError(
            "A cumulative figure is a running total, not an aggregation: use cumulative()"
        )
    member, expected = _membership(sub_periods, periods)
    if rule is OverTime.RATE:
        if numerator is None or denominator is None:
            raise ValueError("A rate is recomputed from its parts: give numerator and denominator")
        num, num_count = _flow(as_float(numerator), member)
        den, den_count = _flow(as_float(denominator), member)
        complete = (num_count == expected) & (den_count == expected)
        return safe_divide(num, den), complete
    values = as_float(values)
    if rule is OverTime.FLOW:
        total, count = _flow(values, member)
        return total, count == expected
    # STOCK: rank sub-periods by date so that the input order never matters.
    order = sorted(range(len(sub_periods)), key=lambda i: sub_periods[i])
    rank = np.empty(len(sub_periods), dtype=int)
    rank[order] = np.arange(len(sub_periods))
    present = ~np.isnan(values)
    key = np.where(present, rank, -1)  # (..., n_sub)
    keyed = np.where(member, key[..., :, None], -1)  # (..., n_sub, P)
    best = keyed.argmax(axis=-2)  # the sub-period with the highest rank present
    found = keyed.max(axis=-2) >= 0
    picked = np.take_along_axis(values, best, axis=-1)
    count = (present[..., :, None] & member).sum(axis=-2)
    return np.where(found, picked, np.nan), count == expected


def cumulative(values: np.ndarray, start: int | np.ndarray = 0) -> np.ndarray:
    """Return the running total of the flows `values` (..., P) from index `start` on.

    `start` (the baseline period's index) may be one integer or an integer array of
    shape values.shape[:-1]. Before `start` the result is NaN; once a period is missing,
    the running total is unknown (NaN) from then on, never a total that silently skips it.
    """
    values = as_float(values)
    index = np.arange(values.shape[-1])
    started = index >= np.asarray(start)[..., None]
    # NaN + x stays NaN, so cumsum carries a gap forward by itself.
    running = np.cumsum(np.where(started, values, 0.0), axis=-1)
    return np.where(started, running, np.nan)


def carry_forward(values: np.ndarray, limit: int, where=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (`values` (..., P) with gaps filled by the last figure, the age of each fill).

    A missing figure takes the latest earlier figure of its row when that one is at most
    `limit` periods old (and `where` allows it, e.g. a member still active); its age is how
    many periods back it comes from (0 for a figure of its own period or none at all). The
    fill never reaches past a gap longer than `limit`: an old figure does not pose as news.
    """
    values = as_float(values)
    present = ~np.isnan(values)
    index = np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    last = np.maximum.accumulate(np.where(present, index, -1), axis=-1)
    age = index - last
    fill = ~present & (last >= 0) & (age <= limit)
    if where is not None:
        fill &= np.broadcast_to(np.asarray(where, dtype=bool), values.shape)
    source = np.take_along_axis(values, np.maximum(last, 0), axis=-1)
    return np.where(fill, source, values), np.where(fill, age, 0)


def running_total(flows: np.ndarray, baseline) -> np.ndarray:
    """Return the running totals of `flows` (..., P) from each row's baseline column.

    `baseline` (an integer, or one per row, shape flows.shape[:-1]) is the column where the
    total is 0: it adds up the flows after it ("start-ups created since 2017"). A row with
    no baseline (−1) adds up from its first figure on. Before the start: NaN; after a gap,
    NaN too (see `cumulative`).
    """
    flows = as_float(flows)
    baseline = np.broadcast_to(np.asarray(baseline, dtype=int), flows.shape[:-1])
    present = ~np.isnan(flows)
    first = np.where(present.any(axis=-1), present.argmax(axis=-1), 0)
    start = np.where(baseline >= 0, baseline + 1, first)
    out = cumulative(flows, start)
    index = np.arange(flows.shape[-1])
    return np.where((baseline >= 0)[..., None] & (index == baseline[..., None]), 0.0, out)
