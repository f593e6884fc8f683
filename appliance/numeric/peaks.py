"""scipy.signal.find_peaks for its `prominence` and `distance` arguments, in numpy alone.

Same peaks as SciPy (tests compare them): a peak is a sample, or the midpoint of a plateau, with
a strictly lower neighbour on both sides; `distance` keeps the higher peaks first (ties broken by
the same np.argsort as SciPy's), then `prominence` (SciPy's definition with wlen=None) filters.
"""

from __future__ import annotations

import math

import numpy as np


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of 1-D `x`, plateaus by their midpoint (rounded down)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return np.empty(0, dtype=np.int64)
    # Runs of equal values: a run is a peak when both neighbouring runs are lower. Runs touching
    # either end have no neighbour there, so they are never peaks (as in SciPy).
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    ends = np.concatenate((starts[1:] - 1, [x.size - 1]))
    values = x[starts]
    inner = np.zeros(starts.size, dtype=bool)
    inner[1:-1] = (values[1:-1] > values[:-2]) & (values[1:-1] > values[2:])
    return ((starts[inner] + ends[inner]) // 2).astype(np.int64)


def _left_base_minima(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """For each of the ascending `peaks`, min(x[j+1 .. p]) where j is the nearest index left of
    p with x[j] > x[p] (or -1): the lowest point before anything higher, half a prominence.

    The first thing higher on the left is always reached after the lowest point at or behind
    the nearest higher *peak* (anything lower before it would make a higher peak in between),
    so one stack over the peaks, carrying the minima of the stretches between them, gives the
    answer in O(n) without SciPy's walk along the samples (quadratic on long noisy slopes)."""
    if peaks.size == 0:
        return np.empty(0, dtype=np.float64)
    bounds = np.concatenate(([0], peaks[:-1] + 1))
    stretch_min = np.minimum.reduceat(x[: peaks[-1] + 1], bounds).tolist()  # (p[k-1], p[k]]
    heights = x[peaks].tolist()
    out = [0.0] * peaks.size
    stack: list[tuple[float, float]] = []  # (height, minimum since the one below it)
    for k, (h, low) in enumerate(zip(heights, stretch_min, strict=True)):
        while stack and stack[-1][0] <= h:
            low = min(low, stack.pop()[1])
        out[k] = low
        stack.append((h, low))
    return np.asarray(out, dtype=np.float64)


def maxima_prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """scipy.signal.peak_prominences(x, peaks)[0] with wlen=None, where `peaks` must be *all*
    the local maxima of `x` (local_maxima(x)): the stack above relies on seeing every one."""
    x = np.asarray(x, dtype=np.float64)
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size == 0:
        return np.empty(0, dtype=np.float64)
    left = _left_base_minima(x, peaks)
    right = _left_base_minima(x[::-1], (x.size - 1 - peaks)[::-1])[::-1]
    return x[peaks] - np.maximum(left, right)


def select_by_distance(peaks: np.ndarray, heights: np.ndarray, distance: float) -> np.ndarray:
    """Boolean mask over `peaks` (ascending): the highest first, each removing the others
    closer than `distance` samples, as SciPy's _select_by_peak_distance."""
    n = peaks.size
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    gap = math.ceil(distance)
    # The neighbours each peak would remove: [lo, j) and (j, hi).
    lo = np.searchsorted(peaks, peaks - gap, side="right").tolist()
    hi = np.searchsorted(peaks, peaks + gap, side="left").tolist()
    order = np.argsort(heights)  # the same (unstable) sort as SciPy: ties fall the same way
    removed = [False] * n
    for j in order[::-1].tolist():
        if removed[j]:
            continue
        for k in range(lo[j], j):
            removed[k] = True
        for k in range(j + 1, hi[j]):
            removed[k] = True
    keep[:] = np.logical_not(removed)
    return keep


def find_peaks(
    x: np.ndarray, *, prominence: float | None = None, distance: float | None = None
) -> np.ndarray:
    """scipy.signal.find_peaks(x, prominence=prominence, distance=distance)[0]."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("find_peaks needs a 1-D array")
    if distance is not None and distance < 1:
        raise ValueError("distance must be at least 1")
    peaks = local_maxima(x)
    keep = np.ones(peaks.size, dtype=bool)
    if distance is not None:
        keep &= select_by_distance(peaks, x[peaks], distance)
    if prominence is not None:
        # A peak's prominence does not depend on which others survive, so filtering after the
        # distance selection (as SciPy does) is the same as filtering alongside it.
        keep &= maxima_prominences(x, peaks) >= prominence
    return peaks[keep]
