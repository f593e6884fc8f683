"""Signal quality indices, 0 (useless) .. 1 (clean), for one analysis window.

PPG: a flat line or too few distinct values is 0; samples stuck at the extremes (ADC
saturation, clipping) and a beat count outside a plausible heart rate lower it; the rest is
beat-template correlation (Orphanidou et al. 2015: each beat against the window's mean beat).
EDA: the share of samples present (NaN = electrodes off) and within the sensor's plausible
range; an exactly constant signal is a stuck reading.
"""

from __future__ import annotations

import numpy as np

from appliance.signals.ppg import bandpass

PPG_MIN_DISTINCT_VALUES = 8  # fewer over a whole window: flat or stuck
PPG_CLIP_TOLERANCE = 1e-3  # of the signal's range: "at the extreme"
PPG_MAX_CLIP_SHARE = 0.1  # at this share of samples at the extremes quality reaches 0
PPG_MIN_HR_BPM = 30.0
PPG_MAX_HR_BPM = 200.0
PPG_TEMPLATE_BEFORE_S = 0.25  # template span around each systolic peak
PPG_TEMPLATE_AFTER_S = 0.40
PPG_CORR_FLOOR = 0.5  # mean beat correlation mapped linearly: floor → 0 …
PPG_CORR_GOOD = 0.9  # … good → 1 (Orphanidou's acceptance threshold is 0.86)
PPG_MIN_BEATS = 3
BEAT_MIN_CORR = 0.6  # a beat less like the template than this is not a clean beat
BEAT_AMPLITUDE_RANGE = (0.4, 2.5)  # × the median beat amplitude: outside, motion or a dropout

EDA_MIN_US = 0.02  # below: electrodes off (the Grove GSR reads ~0 with an open circuit)
EDA_MAX_US = 60.0  # above: shorted electrodes or a wet contact, not skin


def _clip_share(x: np.ndarray) -> float:
    """Share of samples sitting on the signal's own max or min (beyond what one peak has)."""
    lo, hi = float(np.min(x)), float(np.max(x))
    tol = PPG_CLIP_TOLERANCE * (hi - lo)
    at_top = np.count_nonzero(x >= hi - tol)
    at_bottom = np.count_nonzero(x <= lo + tol)
    return max(0, at_top - 1 + at_bottom - 1) / x.size


def beat_correlations(filtered: np.ndarray, fs: float, beats: np.ndarray) -> np.ndarray:
    """Each beat's correlation with the mean beat (NaN for beats too near an edge to judge)."""
    beats = np.asarray(beats, dtype=np.int64)
    before, after = round(PPG_TEMPLATE_BEFORE_S * fs), round(PPG_TEMPLATE_AFTER_S * fs)
    corr = np.full(beats.size, np.nan)
    inside = (beats - before >= 0) & (beats + after < filtered.size)
    if np.count_nonzero(inside) < PPG_MIN_BEATS:
        return corr
    idx = beats[inside][:, None] + np.arange(-before, after + 1)[None, :]
    segments = filtered[idx]
    template = np.median(segments, axis=0)  # a median template: one bad beat cannot skew it
    seg = segments - segments.mean(axis=1, keepdims=True)
    tpl = template - template.mean()
    norms = np.linalg.norm(seg, axis=1) * np.linalg.norm(tpl)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr[inside] = np.where(norms > 0, seg @ tpl / norms, 0.0)
    return corr


def _template_correlation(filtered: np.ndarray, fs: float, beats: np.ndarray) -> float:
    corr = beat_correlations(filtered, fs, beats)
    return float(np.nanmean(corr)) if np.any(np.isfinite(corr)) else 0.0


def beats_ok(filtered: np.ndarray, fs: float, beats: np.ndarray) -> np.ndarray:
    """Beat-level quality: True for a beat shaped like its neighbours (template correlation)
    with an ordinary amplitude (peak over the trough before it); a beat in a motion burst, a
    clipped stretch or a flat line fails one or the other. Edge beats are judged on amplitude
    only."""
    beats = np.asarray(beats, dtype=np.int64)
    if beats.size < PPG_MIN_BEATS:
        return np.zeros(beats.size, dtype=bool)
    corr = beat_correlations(filtered, fs, beats)
    lookback = round(PPG_TEMPLATE_BEFORE_S * fs)
    # Each beat's trough: the minimum over the lookback before it (indices before the start
    # clamp to sample 0, which that window holds anyway).
    span = np.clip(beats[:, None] + np.arange(-lookback, 1)[None, :], 0, None)
    troughs = filtered[span].min(axis=1)
    amplitude = filtered[beats] - troughs
    typical = float(np.median(amplitude))
    lo, hi = BEAT_AMPLITUDE_RANGE
    ok_amplitude = (amplitude >= lo * typical) & (amplitude <= hi * typical) & (typical > 0)
    ok_shape = np.where(np.isfinite(corr), corr >= BEAT_MIN_CORR, True)
    return ok_amplitude & ok_shape


def ppg_quality(
    x: np.ndarray, fs: float, beats: np.ndarray, filtered: np.ndarray | None = None
) -> float:
    """Quality of a PPG window `x` (as read, blood-volume-up, finite) given its beat indices;
    `filtered` is ppg.bandpass(x, fs) when the caller already has it."""
    x = np.asarray(x, dtype=float)
    beats = np.asarray(beats, dtype=np.int64)
    if x.size < fs or not np.all(np.isfinite(x)):
        return 0.0
    if np.unique(x).size < PPG_MIN_DISTINCT_VALUES:
        return 0.0
    duration_min = x.size / fs / 60.0
    rate = beats.size / duration_min
    if beats.size < PPG_MIN_BEATS or not PPG_MIN_HR_BPM <= rate <= PPG_MAX_HR_BPM:
        return 0.0
    clip_factor = max(0.0, 1.0 - _clip_share(x) / PPG_MAX_CLIP_SHARE)
    corr = _template_correlation(bandpass(x, fs) if filtered is None else filtered, fs, beats)
    corr_factor = np.clip((corr - PPG_CORR_FLOOR) / (PPG_CORR_GOOD - PPG_CORR_FLOOR), 0.0, 1.0)
    return float(clip_factor * corr_factor)


def eda_quality(us: np.ndarray) -> float:
    """Quality of an EDA window in µS: share of samples present and plausible; 0 if stuck."""
    us = np.asarray(us, dtype=float)
    if us.size == 0:
        return 0.0
    finite = us[np.isfinite(us)]
    if finite.size < 2 or np.ptp(finite) == 0:
        return 0.0
    plausible = np.count_nonzero((finite >= EDA_MIN_US) & (finite <= EDA_MAX_US))
    return float(plausible / us.size)
