"""Time-domain heart rate variability from an RR series (seconds, NaN = unknown interval).

Every measure returns NaN rather than a misleading number when too few intervals are known.
"""

from __future__ import annotations

import math

import numpy as np

MIN_INTERVALS_HR = 2
MIN_INTERVALS_SDNN = 5
MIN_DIFFERENCES = 4  # successive differences for RMSSD and pNN50
NN50_S = 0.050


def _known(rr_s: np.ndarray) -> np.ndarray:
    rr = np.asarray(rr_s, dtype=float)
    return rr[np.isfinite(rr)]


def successive_differences_s(rr_s: np.ndarray) -> np.ndarray:
    """Differences between adjacent known intervals only: a NaN between two breaks the pair."""
    rr = np.asarray(rr_s, dtype=float)
    if rr.size < 2:
        return np.empty(0)
    d = np.diff(rr)
    return d[np.isfinite(d)]


def hr_bpm(rr_s: np.ndarray) -> float:
    """Mean heart rate over the known intervals (60 / mean RR)."""
    rr = _known(rr_s)
    if rr.size < MIN_INTERVALS_HR:
        return math.nan
    return 60.0 / float(np.mean(rr))


def rmssd_ms(rr_s: np.ndarray) -> float:
    """Root mean square of successive differences, in milliseconds."""
    d = successive_differences_s(rr_s)
    if d.size < MIN_DIFFERENCES:
        return math.nan
    return 1000.0 * float(np.sqrt(np.mean(np.square(d))))


def sdnn_ms(rr_s: np.ndarray) -> float:
    """Standard deviation of the known intervals (sample, ddof=1), in milliseconds."""
    rr = _known(rr_s)
    if rr.size < MIN_INTERVALS_SDNN:
        return math.nan
    return 1000.0 * float(np.std(rr, ddof=1))


def pnn50(rr_s: np.ndarray) -> float:
    """Percentage (0..100) of successive differences larger than 50 ms."""
    d = successive_differences_s(rr_s)
    if d.size < MIN_DIFFERENCES:
        return math.nan
    return 100.0 * float(np.mean(np.abs(d) > NN50_S))
