"""PPG: band-pass filtering and systolic-peak (beat) detection.

Beat detection follows Elgendi et al. 2013, "Systolic peak detection in acceleration
photoplethysmograms measured from emergency responders in tropical conditions", PLoS ONE 8(10):
e76585: square the positive part of the band-passed signal, compare a short moving average (one
systolic peak wide) against a long one (one beat wide) plus an offset, and take the maximum of
each block where the short one is above. We add a refractory period and refine each peak to the
band-passed signal's true maximum (with a parabolic sub-sample estimate for the time).

Input polarity is "blood volume up": the MAX30102 IR channel must be inverted by the caller.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Filters come from appliance.numeric, in numpy: scipy.signal costs about 75 MB of resident
# memory, against 120 MB for the whole service on a Pi Zero 2 W.
from appliance.numeric.iir import butter_sos, sosfilt_zi, zero_phase

BANDPASS_LO_HZ = 0.5  # below: respiration, posture and perfusion drift
BANDPASS_HI_HZ = 8.0  # above: noise; the systolic upstroke lives well below 8 Hz
BANDPASS_ORDER = 2  # per band edge; sosfiltfilt doubles the effective order

PEAK_WINDOW_S = 0.111  # W1: about one systolic peak wide (Elgendi's optimum)
BEAT_WINDOW_S = 0.667  # W2: about one beat wide (Elgendi's optimum)
OFFSET_BETA = 0.02  # β: threshold offset as a share of the mean squared signal
REFRACTORY_S = 0.3  # no two beats closer than this (200 bpm)
MIN_BLOCK_S = 0.08  # narrower blocks are noise (Elgendi uses W1; fast, small beats are narrower)
BLOCK_PEAK_PROMINENCE = 0.5  # a second peak in one block: at least this share of its range
REFINE_HALF_S = 0.05  # search this far either side of a block's maximum when refining
MIN_DETECT_S = 2.0  # shorter signals carry no usable beat
MAX_CACHED_COUNT_SIZE = 4096  # samples: the stream's chunks are cached, whole recordings not


def bandpass(
    x: np.ndarray, fs: float, lo_hz: float = BANDPASS_LO_HZ, hi_hz: float = BANDPASS_HI_HZ
) -> np.ndarray:
    """Zero-phase Butterworth band-pass (second-order sections, forward and backward).

    `x` must be finite and uniformly sampled at `fs`. Very short inputs get a shorter edge pad
    instead of raising.
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return x.copy()
    sos, zi = _bandpass_sos(float(fs), float(lo_hz), float(hi_hz))
    if x.size < 2:
        return np.zeros_like(x)
    # Remove the DC first: a large offset (ADC counts ~1e5) would otherwise ring at the edges.
    return zero_phase(sos, x - np.median(x), zi)


@lru_cache(maxsize=16)
def _bandpass_sos(fs: float, lo_hz: float, hi_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Filter design is costly next to filtering a few seconds: done once per rate."""
    hi_hz = min(hi_hz, 0.45 * fs)  # keep the upper edge below Nyquist at low rates
    sos = butter_sos(BANDPASS_ORDER, (lo_hz, hi_hz), "bandpass", fs)
    return sos, sosfilt_zi(sos)


def _moving_average(y: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average, same length as `y`, edges averaged over what exists."""
    width = max(1, int(width))
    total = np.convolve(y, np.ones(width), mode="same")
    if y.size > MAX_CACHED_COUNT_SIZE:
        return total / _count_of_averages(y.size, width)
    return total / _cached_count_of_averages(y.size, width)


def _count_of_averages(size: int, width: int) -> np.ndarray:
    """How many samples each centred average spans (fewer at the edges)."""
    return np.convolve(np.ones(size), np.ones(width), mode="same")


@lru_cache(maxsize=64)
def _cached_count_of_averages(size: int, width: int) -> np.ndarray:
    """The stream's detection chunks come in a handful of lengths: counted once per length."""
    count = _count_of_averages(size, width)
    count.flags.writeable = False
    return count


def _blocks_of_interest(above: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of runs where `above` is True."""
    edges = np.diff(np.concatenate(([0], above.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _enforce_refractory(peaks: np.ndarray, heights: np.ndarray, min_gap: int) -> np.ndarray:
    """Among sorted peaks closer than `min_gap` samples keep the taller one (one pass)."""
    if peaks.size < 2:
        return peaks
    kept = [0]
    for i in range(1, peaks.size):
        last = kept[-1]
        if peaks[i] - peaks[last] >= min_gap:
            kept.append(i)
        elif heights[i] > heights[last]:
            kept[-1] = i
    return peaks[kept]


def _block_peaks(segment: np.ndarray, refractory: int) -> np.ndarray:
    """The systolic peak(s) of one block of interest: its maximum, plus any other clear peak
    a refractory period away. At high heart rates the long average lags and two beats can share
    one block; Elgendi's one-peak-per-block would drop one of them."""
    top = int(np.argmax(segment))
    if segment.size <= refractory:
        return np.array([top])
    from appliance.numeric.peaks import find_peaks

    candidates = find_peaks(
        segment, distance=refractory, prominence=BLOCK_PEAK_PROMINENCE * np.ptp(segment)
    )
    return np.union1d(candidates, [top]).astype(np.int64)


def _all_block_peaks(
    x: np.ndarray, starts: np.ndarray, ends: np.ndarray, refractory: int
) -> np.ndarray:
    """_block_peaks of every block (unordered). Blocks no wider than the refractory period, nearly
    all of them, hold one peak: their maxima are found at once; the few wider ones one by one."""
    widths = ends - starts
    narrow = widths <= refractory
    found = []
    if np.any(narrow):
        s, w = starts[narrow], widths[narrow]
        # Each row repeats its block's last sample past its end: argmax takes the first
        # occurrence, so the repeats never move it.
        idx = s[:, None] + np.minimum(np.arange(int(w.max()))[None, :], (w - 1)[:, None])
        found.append(idx[np.arange(idx.shape[0]), np.argmax(x[idx], axis=1)])
    for a, b in zip(starts[~narrow], ends[~narrow], strict=True):
        found.append(a + _block_peaks(x[a:b], refractory))
    return np.concatenate(found).astype(np.int64)


def detect_beats(x: np.ndarray, fs: float) -> np.ndarray:
    """Indices of systolic peaks in a band-passed, blood-volume-up PPG sampled at `fs`.

    Returns sorted int64 indices into `x`; empty when `x` is shorter than MIN_DETECT_S or flat.
    """
    x = np.asarray(x, dtype=float)
    if x.size < MIN_DETECT_S * fs or not np.all(np.isfinite(x)) or np.ptp(x) == 0:
        return np.empty(0, dtype=np.int64)
    squared = np.square(np.clip(x, 0.0, None))  # only the systolic (positive) half matters
    ma_peak = _moving_average(squared, round(PEAK_WINDOW_S * fs))
    ma_beat = _moving_average(squared, round(BEAT_WINDOW_S * fs))
    threshold = ma_beat + OFFSET_BETA * float(np.mean(squared))
    starts, ends = _blocks_of_interest(ma_peak > threshold)
    min_width = round(MIN_BLOCK_S * fs)
    keep = (ends - starts) >= min_width
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return np.empty(0, dtype=np.int64)
    refractory = max(1, round(REFRACTORY_S * fs))
    peaks = _all_block_peaks(x, starts, ends, refractory)
    peaks = refine_peaks(x, peaks, round(REFINE_HALF_S * fs))
    peaks = np.unique(peaks)  # sorted; refinement may have merged neighbours
    return _enforce_refractory(peaks, x[peaks], refractory)


def refine_peaks(x: np.ndarray, peaks: np.ndarray, half_width: int) -> np.ndarray:
    """Move each peak to the maximum of `x` within ±`half_width` samples.

    A block's maximum can sit on its edge when the block ends before the true peak; a short
    search puts it back on the top of the wave.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size == 0:
        return peaks.copy()
    # Every peak's neighbourhood at once; indices past an edge are clamped, which only repeats
    # an edge sample and so cannot move the maximum.
    idx = np.clip(peaks[:, None] + np.arange(-half_width, half_width + 1)[None, :], 0, len(x) - 1)
    return idx[np.arange(peaks.size), np.argmax(x[idx], axis=1)]


def peak_times_s(x: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """Sub-sample peak times in seconds from index 0, by a parabola through each peak and its
    neighbours; matters at low rates (the E4's 64 Hz is 15.6 ms per sample)."""
    x = np.asarray(x, dtype=float)
    peaks = np.asarray(peaks, dtype=np.int64)
    times = peaks.astype(float)
    inner = (peaks > 0) & (peaks < len(x) - 1)
    p = peaks[inner]
    if p.size:
        left, mid, right = x[p - 1], x[p], x[p + 1]
        denom = left - 2 * mid + right
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(denom < 0, 0.5 * (left - right) / denom, 0.0)
        times[inner] = p + np.clip(delta, -0.5, 0.5)
    return times / fs
