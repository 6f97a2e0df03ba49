"""Status of an indicator at an entity and period, from its figure against its target."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .arrays import as_float


class Status(StrEnum):
    """Where a figure stands against its target."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    MISSED = "missed"
    NO_DATA = "no_data"
    NO_TARGET = "no_target"


# Best to worst, then the statuses that say nothing about performance.
STATUS_ORDER: tuple[Status, ...] = (
    Status.ACHIEVED,
    Status.ON_TRACK,
    Status.AT_RISK,
    Status.OFF_TRACK,
    Status.MISSED,
    Status.NO_DATA,
    Status.NO_TARGET,
)


_CODE = {status.value: k for k, status in enumerate(STATUS_ORDER)}


class Statuses(np.ndarray):
    """Statuses kept as one-byte codes (positions in STATUS_ORDER) that read as names.

    An element is its Status (a string: ``statuses[e, p] == "on_track"``); a slice is
    again a Statuses; comparing with a name compares codes. A byte a cell instead of the
    36 of a nine-character string: the statuses were a third of an evaluation's memory.
    """

    def __new__(cls, codes) -> Statuses:
        return np.asarray(codes, dtype=np.uint8).view(cls)

    @classmethod
    def filled(cls, shape, status: str) -> Statuses:
        """Return statuses of `shape`, all `status`."""
        return cls(np.full(shape, _CODE[str(status)], dtype=np.uint8))

    @property
    def codes(self) -> np.ndarray:
        """The codes as a plain array (positions in STATUS_ORDER)."""
        return self.view(np.ndarray)

    def __getitem__(self, key):
        out = super().__getitem__(key)
        return out if isinstance(out, np.ndarray) else STATUS_ORDER[out]

    def item(self, *args) -> Status:
        return STATUS_ORDER[self.codes.item(*args)]

    def tolist(self):
        names = np.array([status.value for status in STATUS_ORDER], dtype=object)
        return names[self.codes] if self.ndim == 0 else names[self.codes].tolist()

    def _compare(self, other, op):
        if isinstance(other, str):
            code = _CODE.get(str(other))
            if code is None:
                return np.full(self.shape, op is np.not_equal)
            return op(self.codes, code)
        if isinstance(other, Statuses):
            return op(self.codes, other.codes)
        return op(np.array(self.tolist(), dtype=object), other)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    __hash__ = None

    def __str__(self) -> str:
        return str(self.tolist())

    def __repr__(self) -> str:
        return f"Statuses({self.tolist()!r})"

    def __reduce__(self):
        return (Statuses, (np.ascontiguousarray(self.codes),))


class Polarity(StrEnum):
    """Which direction is good for an indicator."""

    UP = "up"
    DOWN = "down"
    KEEP_ABOVE = "keep_above"
    KEEP_BELOW = "keep_below"
    BAND = "band"


@dataclass(frozen=True)
class Thresholds:
    """Progress needed to be on track and at risk (below at_risk: off track)."""

    on_track: float = 0.95
    at_risk: float = 0.85

    def __post_init__(self):
        if not 0 < self.at_risk <= self.on_track:
            raise ValueError(
                f"Thresholds must satisfy 0 < at risk <= on track; got at risk {self.at_risk}, "
                f"on track {self.on_track}"
            )


@dataclass
class Assessment:
    """Statuses, progress and achievement, same shape."""

    status: Statuses
    progress: np.ndarray
    achievement: np.ndarray


_TINY = 1e-12


def assess(
    actual,
    expected,
    baseline,
    target,
    *,
    polarity: Polarity,
    final,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    band_low=np.nan,
    band_high=np.nan,
    bar=None,
) -> Assessment:
    """Return the status and progress of each `actual` figure; all arguments broadcast.

    `expected` is the trajectory's value at the period, `final` whether the period is at
    or after the target period. In order: no target → no_target; no figure → no_data.

    UP / DOWN (a target to reach):
      - actual meets the `bar` (≥ for UP, ≤ for DOWN) → achieved, final or not. The bar is
        the target, unless milestones still to come (or the path through them now) are
        stricter: an interim milestone binds even when the final target is looser, so
        reaching the final level early does not make a stricter milestone achieved;
      - otherwise, at a final period → missed;
      - otherwise progress = (actual − baseline) / (expected − baseline), and on_track if
        progress ≥ thresholds.on_track, at_risk if ≥ thresholds.at_risk, else off_track.
        Where no progress is expected yet (expected = baseline, or a trajectory going the
        wrong way, or no baseline) progress is 1 if actual meets expected, else 0.
      No expected value (a period before the baseline) counts as no target.
    KEEP_ABOVE (the target is a level): progress = actual / level (for level > 0; in
      general 1 + (actual − level) / |level|). Met → on_track (achieved at a final
      period); not met → on_track / at_risk / off_track by the thresholds (missed at a
      final period).
    KEEP_BELOW: the mirror, progress = level / actual (both > 0; in general
      1 − (actual − level) / |level|).
    BAND [band_low, band_high] (a missing bound is open): inside → on_track (achieved at a
      final period); outside, progress = 1 − distance / |nearest bound| → at_risk /
      off_track by the thresholds (missed at a final period).

    For UP a higher actual never gives a worse status, for DOWN a lower one.
    """
    polarity = Polarity(polarity)
    bar = target if bar is None else bar
    a, e, b, target, low, high, bar = np.broadcast_arrays(
        *(as_float(x) for x in (actual, expected, baseline, target, band_low, band_high, bar))
    )
    final = np.broadcast_to(np.asarray(final, dtype=bool), a.shape)
    sign = -1.0 if polarity in (Polarity.DOWN, Polarity.KEEP_BELOW) else 1.0

    with np.errstate(all="ignore"):
        if polarity in (Polarity.UP, Polarity.DOWN):
            no_target = np.isnan(target) | np.isnan(e)
            met = sign * (a - np.where(np.isnan(bar), target, bar)) >= 0
            wanted = sign * (e - b)  # the improvement the trajectory expects by now
            made = sign * (a - b)
            moving = wanted > 0
            progress = np.where(
                moving, made / np.where(moving, wanted, 1.0), (sign * (a - e) >= 0) * 1.0
            )
            achieved_now = met
        elif polarity in (Polarity.KEEP_ABOVE, Polarity.KEEP_BELOW):
            no_target = np.isnan(target)
            scale = np.maximum(np.abs(target), _TINY)
            progress = 1 + sign * (a - target) / scale
            if polarity is Polarity.KEEP_BELOW:
                both_positive = (a > 0) & (target > 0)
                progress = np.where(both_positive, target / np.where(a > 0, a, 1.0), progress)
            met = sign * (a - target) >= 0
            achieved_now = met & final
        else:
            no_target = np.isnan(low) & np.isnan(high)
            below = np.where(np.isnan(low), False, a < low)
            above = np.where(np.isnan(high), False, a > high)
            distance = np.where(below, low - a, np.where(above, a - high, 0.0))
            bound = np.where(below, low, high)
            progress = 1 - distance / np.maximum(np.abs(bound), _TINY)
            met = ~below & ~above
            achieved_now = met & final

    # Decided on small integer codes: much cheaper than strings.
    code = _CODE
    by_progress = np.where(
        (progress >= thresholds.on_track) | (met & ~achieved_now),
        code["on_track"],
        np.where(progress >= thresholds.at_risk, code["at_risk"], code["off_track"]),
    )
    codes = np.where(achieved_now, code["achieved"], np.where(final, code["missed"], by_progress))
    codes = np.where(np.isnan(a), code["no_data"], codes)
    codes = np.where(no_target, code["no_target"], codes)
    status = Statuses(codes)
    progress = np.where(no_target | np.isnan(a), np.nan, progress)
    return Assessment(
        status=status, progress=progress, achievement=achievement(a, b, target, polarity)
    )


def achievement(actual, baseline, target, polarity: Polarity) -> np.ndarray:
    """Return the share of the way from the baseline to the target each figure has come.

    (actual − baseline) / (target − baseline): 0 at the baseline, 1 at the target, above 1
    beyond it, negative when moving away from it. Only a target to reach (UP, DOWN) has a
    way to go; a level or a band is kept, not reached (NaN), and so is a target equal to
    its baseline.
    """
    a, b, t = np.broadcast_arrays(as_float(actual), as_float(baseline), as_float(target))
    if Polarity(polarity) not in (Polarity.UP, Polarity.DOWN):
        return np.full(a.shape, np.nan)
    way = t - b
    with np.errstate(all="ignore"):
        out = (a - b) / np.where(way != 0, way, np.nan)
    return np.where(np.isfinite(out), out, np.nan)
