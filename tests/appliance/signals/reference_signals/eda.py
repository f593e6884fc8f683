"""Electrodermal activity: smoothing, tonic/phasic separation, skin conductance responses.

Input is skin conductance in µS, uniformly sampled (the stream resamples to EDA_FS_HZ) and
finite. The tonic level is the signal's lower envelope (a morphological opening) smoothed by a
moving average; SCRs ride on top of it. Far cheaper than cvxEDA, and good enough to count SCRs
and follow the level.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import ndimage, signal

from reference_signals.ppg import zero_phase

EDA_FS_HZ = 4.0  # analysis rate; EDA content of interest is below ~1 Hz
LOWPASS_CUTOFF_HZ = 1.0
LOWPASS_ORDER = 4
TONIC_WINDOW_S = 16.0  # responses narrower than this (rise and most recovery) are not tonic
TONIC_SMOOTH_S = 4.0
SCR_MIN_AMPLITUDE_US = 0.01  # a common research floor (Boucsein 2012: 0.01-0.05 µS)
SCR_MAX_RISE_S = 5.0  # onsets are searched at most this long before a peak
SCR_MIN_RISE_S = 0.25  # faster "responses" are electrode or quantisation artefacts
SCR_ONSET_SHARE = 0.05  # the onset: last point within 5 % of the amplitude above the trough

SCR_DTYPE = np.dtype(
    [("onset", np.int64), ("peak", np.int64), ("amplitude_us", float), ("rise_time_s", float)]
)


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float = LOWPASS_CUTOFF_HZ) -> np.ndarray:
    """Zero-phase Butterworth low-pass (edge pad shortened for short inputs)."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return x.copy()
    sos, zi = _lowpass_sos(float(fs), float(cutoff_hz))
    return zero_phase(sos, zi, x)


@lru_cache(maxsize=8)
def _lowpass_sos(fs: float, cutoff_hz: float) -> tuple[np.ndarray, np.ndarray]:
    cutoff_hz = min(cutoff_hz, 0.45 * fs)
    sos = signal.butter(LOWPASS_ORDER, cutoff_hz, btype="lowpass", fs=fs, output="sos")
    return sos, signal.sosfilt_zi(sos)


def tonic_phasic(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Split smoothed skin conductance into (tonic level, phasic responses), both in µS."""
    smooth = lowpass(x, fs)
    if smooth.size == 0:
        return smooth.copy(), smooth.copy()
    # A grey opening (running minimum, then running maximum) is the lower envelope: it keeps
    # monotonic trends exactly and removes every bump narrower than its window.
    width = max(1, round(TONIC_WINDOW_S * fs)) | 1  # odd: centred
    tonic = ndimage.grey_opening(smooth, size=width, mode="reflect")
    tonic = ndimage.uniform_filter1d(tonic, size=max(1, round(TONIC_SMOOTH_S * fs)), mode="reflect")
    # Smoothing lifts the envelope's steps a little ahead of each response; a lower envelope
    # never exceeds the signal, and letting it would carve a dip that reads as a slow SCR.
    tonic = np.minimum(tonic, smooth)
    return tonic, smooth - tonic


def detect_scrs(
    phasic: np.ndarray, fs: float, min_amplitude_us: float = SCR_MIN_AMPLITUDE_US
) -> np.ndarray:
    """Skin conductance responses in a phasic signal.

    Returns a structured array (SCR_DTYPE): `onset` and `peak` sample indices, `amplitude_us`
    (peak minus the trough in the SCR_MAX_RISE_S before it, never before the previous response's
    peak) and `rise_time_s` (onset to peak).
    """
    phasic = np.asarray(phasic, dtype=float)
    if phasic.size < 3 or not np.all(np.isfinite(phasic)):
        return np.empty(0, dtype=SCR_DTYPE)
    peaks, _ = signal.find_peaks(phasic, prominence=min_amplitude_us)
    max_rise = max(1, round(SCR_MAX_RISE_S * fs))
    rows = []
    previous_peak = 0
    for p in peaks:
        lo = max(previous_peak, p - max_rise)
        segment = phasic[lo : p + 1]
        trough = float(segment.min())
        amplitude = float(phasic[p]) - trough
        if amplitude < min_amplitude_us:
            continue
        # The rise starts where the signal last leaves the trough's level: the minimum itself
        # would wander to any noise dip on a flat stretch before the response.
        near_trough = np.flatnonzero(segment <= trough + SCR_ONSET_SHARE * amplitude)
        onset = lo + int(near_trough[-1])
        rise_s = (p - onset) / fs
        if rise_s >= SCR_MIN_RISE_S:
            rows.append((onset, p, amplitude, rise_s))
            previous_peak = p
    return np.array(rows, dtype=SCR_DTYPE)


def scl_slope_us_per_min(t: np.ndarray, tonic: np.ndarray) -> float:
    """Least-squares slope of the tonic level, µS per minute (NaN samples ignored)."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(tonic, dtype=float)
    ok = np.isfinite(t) & np.isfinite(y)
    if np.count_nonzero(ok) < 2 or np.ptp(t[ok]) <= 0:
        return math.nan
    slope_per_s = np.polyfit(t[ok], y[ok], 1)[0]
    return 60.0 * float(slope_per_s)
