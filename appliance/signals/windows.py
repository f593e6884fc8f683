"""Features of one analysis window, from beats, RR intervals or skin conductance.

Pure functions shared by the live stream and offline analysis (training, evaluation), so both
compute a window's features the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from appliance.signals import eda, hrv, quality, rr
from appliance.signals.ppg import bandpass, detect_beats

MIN_COVERED_S = 15.0  # less data than this in a window: that sensor's features are NaN
MIN_FINITE_RUN_S = 3.0  # PPG runs shorter than this between gaps carry no usable beats


@dataclass(frozen=True)
class CardiacFeatures:
    hr_bpm: float = math.nan
    rmssd_ms: float = math.nan
    sdnn_ms: float = math.nan
    n_beats: int = 0
    rr_corrected_share: float = 0.0
    quality: float = 0.0


@dataclass(frozen=True)
class EdaFeatures:
    scl_us: float = math.nan
    scl_slope_us_per_min: float = math.nan
    scr_per_min: float = math.nan
    quality: float = 0.0


def finite_runs(x: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of finite values in `x`."""
    ok = np.isfinite(np.asarray(x, dtype=float)).astype(np.int8)
    edges = np.diff(np.concatenate(([0], ok, [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def rr_with_breaks(beat_index: np.ndarray, fs: float, grid: np.ndarray) -> np.ndarray:
    """RR intervals (s) between successive beats (indices into `grid`), NaN for an interval
    that spans a gap (a NaN sample) in the grid, so HRV never bridges missing data."""
    beat_index = np.asarray(beat_index, dtype=np.int64)
    if beat_index.size < 2:
        return np.empty(0)
    nan_before = np.concatenate(([0], np.cumsum(~np.isfinite(grid))))
    spans_gap = nan_before[beat_index[1:]] - nan_before[beat_index[:-1]] > 0
    intervals = np.diff(beat_index) / fs
    return np.where(spans_gap, np.nan, intervals)


def cardiac_from_rr(rr_s: np.ndarray, signal_quality: float, n_beats: int) -> CardiacFeatures:
    """HR/HRV from an RR series (NaN = break) over `n_beats` beats, with the signal's quality
    scaled by the share of intervals that survived cleaning."""
    cleaned, kept, share = rr.clean_rr(rr_s)
    n_known = int(np.count_nonzero(np.isfinite(rr_s)))
    if n_known == 0:
        return CardiacFeatures()
    kept_share = float(np.count_nonzero(kept)) / n_known
    return CardiacFeatures(
        hr_bpm=hrv.hr_bpm(cleaned),
        rmssd_ms=hrv.rmssd_ms(cleaned),
        sdnn_ms=hrv.sdnn_ms(cleaned),
        n_beats=int(n_beats),
        rr_corrected_share=0.0 if math.isnan(share) else share,
        quality=float(np.clip(signal_quality * kept_share, 0.0, 1.0)),
    )


def ppg_quality_with_gaps(grid: np.ndarray, fs: float, beat_index: np.ndarray) -> float:
    """PPG quality of a window that may hold NaN gaps: each finite run scored on its own,
    weighted by its length over the whole window (so missing data counts as quality 0)."""
    if grid.size == 0:
        return 0.0
    beat_index = np.asarray(beat_index, dtype=np.int64)
    total = 0.0
    for a, b in finite_runs(grid):
        if b - a < MIN_FINITE_RUN_S * fs:
            continue
        inside = beat_index[(beat_index >= a) & (beat_index < b)] - a
        total += quality.ppg_quality(grid[a:b], fs, inside) * (b - a)
    return total / grid.size


def cardiac_from_ppg(grid: np.ndarray, fs: float, beat_index: np.ndarray) -> CardiacFeatures:
    """Cardiac features of a uniformly sampled, blood-volume-up PPG window (NaN = gap) whose
    beats are already known (indices into `grid`)."""
    covered_s = np.count_nonzero(np.isfinite(grid)) / fs
    if covered_s < MIN_COVERED_S:
        return CardiacFeatures()
    signal_quality = ppg_quality_with_gaps(grid, fs, beat_index)
    rr_s = rr_with_breaks(beat_index, fs, grid)
    return cardiac_from_rr(rr_s, signal_quality, n_beats=len(beat_index))


def detect_beats_with_gaps(grid: np.ndarray, fs: float) -> np.ndarray:
    """Beat indices in a window that may hold NaN gaps: each finite run detected on its own."""
    found = []
    for a, b in finite_runs(grid):
        if b - a >= MIN_FINITE_RUN_S * fs:
            found.append(a + detect_beats(bandpass(grid[a:b], fs), fs))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def eda_window(us: np.ndarray, fs: float = eda.EDA_FS_HZ) -> EdaFeatures:
    """EDA features of a uniformly sampled window in µS (NaN = electrodes off or no data)."""
    us = np.asarray(us, dtype=float)
    q = quality.eda_quality(us)
    finite = np.isfinite(us)
    covered_s = np.count_nonzero(finite) / fs
    if q <= 0 or covered_s < MIN_COVERED_S:
        return EdaFeatures(quality=0.0 if covered_s < MIN_COVERED_S else float(q))
    idx = np.arange(us.size)
    filled = np.interp(idx, idx[finite], us[finite])  # straight lines hold no SCR
    tonic, phasic = eda.tonic_phasic(filled, fs)
    scrs = eda.detect_scrs(phasic, fs)
    t = idx / fs
    return EdaFeatures(
        scl_us=float(np.mean(tonic[finite])),
        scl_slope_us_per_min=eda.scl_slope_us_per_min(t[finite], tonic[finite]),
        scr_per_min=float(len(scrs) / (covered_s / 60.0)),
        quality=float(q),
    )
