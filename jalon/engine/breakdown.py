"""Breakdowns: members of a dimension (students by programme) checked against the total.

Members that do not add up to the total are flagged as incomplete, never silently
fixed (DESIGN.md, "Breakdown").
"""

from __future__ import annotations

import numpy as np

from .arrays import as_float, sum_or_nan


def breakdown_gaps(
    total: np.ndarray, members: np.ndarray, *, tolerance: float = 0.005
) -> dict[str, np.ndarray]:
    """Return how the breakdown `members` (..., M, E, P) adds up to `total` (..., E, P).

    - `sum_of_members`: Σ members, NaN when no member has a figure;
    - `missing`: how many members have no figure;
    - `incomplete`: the total is present and either a member is missing or the members'
      sum differs from the total by more than `tolerance` (relative to the total);
    - `gap`: total − sum_of_members (NaN when either is missing).

    Members are consolidated by the caller like the total (member as a leading dimension).
    """
    total = as_float(total)
    members = as_float(members)
    summed = sum_or_nan(members, axis=-3)
    missing = np.isnan(members).sum(axis=-3)
    gap = total - summed
    has_total = ~np.isnan(total)
    off = ~np.isnan(gap) & (np.abs(np.nan_to_num(gap)) > tolerance * np.abs(np.nan_to_num(total)))
    return {
        "sum_of_members": summed,
        "missing": missing,
        "incomplete": has_total & ((missing > 0) | off),
        "gap": gap,
    }
