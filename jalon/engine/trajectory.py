"""Trajectories: the value expected at any time between a target's baseline and its target."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from .arrays import as_float


class Shape(StrEnum):
    """How a target's trajectory goes from the baseline to the target."""

    LINEAR = "linear"
    COMPOUND = "compound"
    STEP = "step"
    MILESTONES = "milestones"


def _knots(
    baseline_position, baseline_value, target_position, target_value, milestones
) -> tuple[np.ndarray, np.ndarray]:
    points = [(float(baseline_position), float(baseline_value))]
    points += [(float(p), float(v)) for p, v in sorted(milestones)]
    points.append((float(target_position), float(target_value)))
    xs = np.array([p for p, _ in points])
    if np.any(np.diff(xs) <= 0):
        raise ValueError("Milestones must lie strictly between the baseline and the target")
    return xs, np.array([v for _, v in points])


def trajectory_at(
    position,
    *,
    baseline_position,
    baseline_value,
    target_position,
    target_value,
    shape: Shape,
    milestones: Sequence[tuple[float, float]] = (),
) -> np.ndarray | float:
    """Return the expected value at `position` (fractional years, see Period.position).

    All arguments broadcast together (for instance positions (P,) against baselines and
    targets (E, 1)), except `milestones`, which is for one target (scalar baseline and
    target): a sequence of (position, value).

    - LINEAR: b + (T − b) · f, where f = (t − t_b) / (t_T − t_b).
    - COMPOUND: b · (T / b) ** f, a constant growth rate. It needs b > 0 and T > 0;
      elsewhere it falls back to LINEAR, since a growth rate has no meaning there.
    - STEP: the baseline until the first milestone (or the target) is reached, then
      that value, holding the last value reached.
    - MILESTONES: linear between the baseline, each milestone in order, and the target.

    Before the baseline: NaN (no expectation yet). From the target on: the target value.
    """
    shape = Shape(shape)
    t = as_float(position)
    b, tb = as_float(baseline_value), as_float(baseline_position)
    target, tt = as_float(target_value), as_float(target_position)
    if milestones and shape in (Shape.STEP, Shape.MILESTONES):
        if np.ndim(b) or np.ndim(tb) or np.ndim(target) or np.ndim(tt):
            raise ValueError("Milestones are for one target: give scalar baseline and target")
        xs, ys = _knots(tb, b, tt, target, milestones)
        if shape is Shape.STEP:
            out = ys[np.clip(np.searchsorted(xs, t, side="right") - 1, 0, None)]
        else:
            out = np.interp(t, xs, ys)
        out = np.where(t < tb, np.nan, out)
        return float(out) if np.ndim(out) == 0 else out
    with np.errstate(divide="ignore", invalid="ignore"):
        span = tt - tb
        f = np.clip(np.where(span > 0, (t - tb) / np.where(span > 0, span, 1.0), 1.0), 0.0, 1.0)
        if shape is Shape.STEP:
            out = np.where(t >= tt, target, b)
        else:
            out = b + (target - b) * f
            if shape is Shape.COMPOUND:
                growable = (b > 0) & (target > 0)
                ratio = np.where(growable, target / np.where(growable, b, 1.0), 1.0)
                out = np.where(growable, b * ratio**f, out)
    out = np.where(t < tb, np.nan, np.where(t >= tt, target, out))
    return float(out) if np.ndim(out) == 0 else out
