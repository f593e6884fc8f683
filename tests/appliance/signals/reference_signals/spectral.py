"""Frequency-domain measures of an RR series: breathing rate (respiratory sinus arrhythmia) and
LF/HF power.

The tachogram (RR against beat time) of the longest unbroken stretch is interpolated onto a
uniform TACHOGRAM_FS_HZ grid, detrended and windowed; its periodogram is then read in fixed
bands. Breathing paces the heart (RSA): heart rate rises on inspiration and falls on expiration,
so the tachogram's dominant oscillation in the breathing band is the breathing rate.
"""

from __future__ import annotations

import math

import numpy as np

TACHOGRAM_FS_HZ = 4.0
BREATHING_BAND_HZ = (0.1, 0.5)  # 6-30 breaths per minute
BREATHING_MIN_STRETCH_S = 30.0  # shorter: too few breaths to tell a rhythm
BREATHING_MIN_PEAK_SHARE = 0.5  # the peak bin ±1 (zero-padded) must hold this share of the band;
# white noise gives under 0.4 over a minute, a breathing rhythm over 0.8
LF_BAND_HZ = (0.04, 0.15)
HF_BAND_HZ = (0.15, 0.4)
LF_HF_MIN_STRETCH_S = 120.0  # Task Force 1996: two minutes at least for LF
ZERO_PAD_FACTOR = 4  # finer frequency bins than the stretch alone gives


def longest_stretch(rr_s: np.ndarray) -> np.ndarray:
    """The longest run of known intervals (no NaN break) of an RR series."""
    rr = np.asarray(rr_s, dtype=float)
    ok = np.isfinite(rr).astype(np.int8)
    edges = np.diff(np.concatenate(([0], ok, [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return np.empty(0)
    best = int(np.argmax([rr[a:b].sum() for a, b in zip(starts, stops, strict=True)]))
    return rr[starts[best] : stops[best]]


def _spectrum(rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies Hz, power) of an unbroken RR stretch's tachogram."""
    t = np.cumsum(rr)
    grid = np.arange(t[0], t[-1], 1.0 / TACHOGRAM_FS_HZ)
    y = np.interp(grid, t, rr)
    y = y - np.polyval(np.polyfit(grid, y, 1), grid)  # slow trends are not breathing
    y = y * np.hanning(y.size)
    n = ZERO_PAD_FACTOR * y.size
    power = np.abs(np.fft.rfft(y, n=n)) ** 2
    return np.fft.rfftfreq(n, 1.0 / TACHOGRAM_FS_HZ), power


def breathing_rate_bpm(rr_s: np.ndarray) -> float:
    """Breathing rate (breaths per minute) from RSA, NaN without a clear rhythm."""
    rr = longest_stretch(rr_s)
    if rr.size < 4 or rr.sum() < BREATHING_MIN_STRETCH_S:
        return math.nan
    freq, power = _spectrum(rr)
    lo, hi = BREATHING_BAND_HZ
    band = (freq >= lo) & (freq <= hi)
    total = float(power[band].sum())
    if total <= 0:
        return math.nan
    idx = np.flatnonzero(band)
    peak = int(idx[np.argmax(power[band])])
    # A rhythm: one peak carries much of the band (its bin and neighbours, ×ZERO_PAD_FACTOR).
    half = ZERO_PAD_FACTOR
    share = float(power[max(0, peak - half) : peak + half + 1].sum()) / total
    if share < BREATHING_MIN_PEAK_SHARE or peak in (idx[0], idx[-1]):
        return math.nan
    return 60.0 * float(freq[peak])


def lf_hf_ratio(rr_s: np.ndarray) -> float:
    """LF/HF power ratio; NaN when the longest unbroken stretch is under two minutes."""
    rr = longest_stretch(rr_s)
    if rr.size < 4 or rr.sum() < LF_HF_MIN_STRETCH_S:
        return math.nan
    freq, power = _spectrum(rr)
    lf = float(power[(freq >= LF_BAND_HZ[0]) & (freq < LF_BAND_HZ[1])].sum())
    hf = float(power[(freq >= HF_BAND_HZ[0]) & (freq < HF_BAND_HZ[1])].sum())
    return lf / hf if hf > 0 else math.nan
