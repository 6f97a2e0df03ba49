"""Target coherence: entity targets against the parent's, and changes implied in ratios."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .arrays import as_float, safe_divide


def target_sum_gap(parent_target: float, child_targets: Mapping[str, float]) -> float:
    """Return parent target − Σ children's targets (NaN without children, or when a child's
    target is missing: the gap is then unknown, not smaller)."""
    if not child_targets:
        return float("nan")
    return float(parent_target - sum(float(child_targets[code]) for code in sorted(child_targets)))


def implied_ratio_change(numerator_change, denominator_change):
    """Return the relative change of a ratio when its parts change by the given fractions:
    (1 + a) / (1 + b) − 1. Students +49 % with staff +25 % → students per staff +19 %."""
    out = safe_divide(1 + as_float(numerator_change), 1 + as_float(denominator_change)) - 1
    return float(out) if np.ndim(out) == 0 else out


def relative_change(baseline, target):
    """Return target / baseline − 1 (NaN when the baseline is 0 or missing)."""
    out = safe_divide(as_float(target), as_float(baseline)) - 1
    return float(out) if np.ndim(out) == 0 else out
