"""Small NumPy helpers shared by the engine, where NaN means "no data"."""

from __future__ import annotations

import numpy as np


def as_float(x) -> np.ndarray:
    """Return `x` as a float array (a copy only when needed)."""
    return np.asarray(x, dtype=float)


def safe_divide(numerator, denominator) -> np.ndarray:
    """Return numerator / denominator, NaN where the denominator is 0 or either is missing.

    A ratio over a zero denominator has no meaning for a plan figure, so it becomes "no
    data" rather than an infinity that would poison every sum it reaches.
    """
    num = as_float(numerator)
    den = as_float(denominator)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf: NaN below
        out = num / den
    return np.where((den == 0) | ~np.isfinite(out), np.nan, out)


def sum_or_nan(x, axis: int) -> np.ndarray:
    """Return the NaN-ignoring sum along `axis`, NaN where every value is missing.

    np.nansum would turn "nobody reported" into 0.0, which must stay distinct from a
    reported zero.
    """
    x = as_float(x)
    present = ~np.isnan(x)
    total = np.where(present, x, 0.0).sum(axis=axis)
    return np.where(present.any(axis=axis), total, np.nan)
