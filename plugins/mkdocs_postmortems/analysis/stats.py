"""Compute robust summary statistics: medians and percentiles, never means.

Incident durations are heavy-tailed (one long outage drags a mean far from the typical case),
so every page reports medians and high percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Return the `fraction` (0..1) percentile of `values`, interpolating linearly; None if empty.

    The linear interpolation between closest ranks is the method most tools use by default
    (numpy's "linear", Excel's PERCENTILE.INC), so our numbers match a reader's spreadsheet.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"percentile fraction must be within 0..1, not {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    weight = position - low
    return ordered[low] * (1 - weight) + ordered[high] * weight


def median(values: Iterable[float]) -> float | None:
    """Return the median of `values` (the mean of the middle two when even); None if empty."""
    return percentile(values, 0.5)


def median_duration(deltas: Iterable[timedelta | None]) -> timedelta | None:
    """Return the median of the known `deltas`, or None when none is known."""
    seconds = median(delta.total_seconds() for delta in deltas if delta is not None)
    return None if seconds is None else timedelta(seconds=seconds)


def percentile_duration(deltas: Iterable[timedelta | None], fraction: float) -> timedelta | None:
    """Return the `fraction` percentile of the known `deltas`, or None when none is known."""
    seconds = percentile((d.total_seconds() for d in deltas if d is not None), fraction)
    return None if seconds is None else timedelta(seconds=seconds)
