"""Features of one analysis window, from beats, RR intervals or skin conductance.

Pure functions shared by the live stream and offline analysis (training, evaluation), so both
compute a window's features the same way.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from appliance.signals import eda, hrv, quality, rhythm, spectral
from appliance.signals.features import WindowFeatures
from appliance.signals.ppg import bandpass
from appliance.signals.rr_correct import correct_rr
from appliance.vocabulary import USABLE_QUALITY

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
    pnn50_pct: float = math.nan
    lf_hf: float = math.nan
    breathing_rate_bpm: float = math.nan
    irregular_rhythm: bool = False


@dataclass(frozen=True)
class EdaFeatures:
    scl_us: float = math.nan
    scl_slope_us_per_min: float = math.nan
    scr_per_min: float = math.nan
    quality: float = 0.0
    scr_amplitude_us: float = math.nan
    scr_rise_time_s: float = math.nan


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
    """HR/HRV from an RR series (NaN = break) over `n_beats` beats, after ectopic, missed and
    extra beats are corrected; the signal's quality is scaled by the share left untouched, and
    an irregular rhythm leaves HRV out (judge_rhythm)."""
    return judge_rhythm(_cardiac(rr_s, signal_quality, n_beats), rr_s)


def judge_rhythm(features: CardiacFeatures, rr_s: np.ndarray) -> CardiacFeatures:
    """Mark an irregular rhythm (rhythm.is_irregular on the RR intervals as measured) and leave
    out the HRV derived from the RR variability; HR stays. Only a window of usable quality is
    judged: in one below it, an irregular series is more likely the sensor than the heart."""
    if features.quality < USABLE_QUALITY or not rhythm.is_irregular(rr_s):
        return features
    return dataclasses.replace(
        features,
        irregular_rhythm=True,
        rmssd_ms=math.nan,
        sdnn_ms=math.nan,
        pnn50_pct=math.nan,
        lf_hf=math.nan,
        breathing_rate_bpm=math.nan,  # read from the RR variability (RSA)
    )


def _cardiac(rr_s: np.ndarray, signal_quality: float, n_beats: int) -> CardiacFeatures:
    n_known = int(np.count_nonzero(np.isfinite(rr_s)))
    if n_known == 0:
        return CardiacFeatures()
    fixed = correct_rr(rr_s)
    cleaned = fixed.rr_s
    share = fixed.corrected_share
    return CardiacFeatures(
        hr_bpm=hrv.hr_bpm(cleaned),
        rmssd_ms=hrv.rmssd_ms(cleaned),
        sdnn_ms=hrv.sdnn_ms(cleaned),
        n_beats=int(n_beats),
        rr_corrected_share=share,
        quality=float(np.clip(signal_quality * (1.0 - share), 0.0, 1.0)),
        pnn50_pct=hrv.pnn50(cleaned),
        lf_hf=spectral.lf_hf_ratio(cleaned),
        breathing_rate_bpm=spectral.breathing_rate_bpm(cleaned),
    )


def filtered_runs(grid: np.ndarray, fs: float) -> list[tuple[int, int, np.ndarray]]:
    """(start, stop, band-passed values) of each finite run long enough to carry beats."""
    return [
        (a, b, bandpass(grid[a:b], fs))
        for a, b in finite_runs(grid)
        if b - a >= MIN_FINITE_RUN_S * fs
    ]


def ppg_quality_with_gaps(
    grid: np.ndarray,
    fs: float,
    beat_index: np.ndarray,
    runs: list[tuple[int, int, np.ndarray]] | None = None,
) -> float:
    """PPG quality of a window that may hold NaN gaps: each finite run scored on its own,
    weighted by its length over the whole window (so missing data counts as quality 0).
    `runs` (filtered_runs of `grid`) saves filtering again."""
    if grid.size == 0:
        return 0.0
    beat_index = np.asarray(beat_index, dtype=np.int64)
    total = 0.0
    for a, b, filtered in filtered_runs(grid, fs) if runs is None else runs:
        inside = beat_index[(beat_index >= a) & (beat_index < b)] - a
        total += quality.ppg_quality(grid[a:b], fs, inside, filtered=filtered) * (b - a)
    return total / grid.size


def beats_ok_with_gaps(
    grid: np.ndarray,
    fs: float,
    beat_index: np.ndarray,
    runs: list[tuple[int, int, np.ndarray]] | None = None,
) -> np.ndarray:
    """Beat-level quality (quality.beats_ok) of a window that may hold NaN gaps. `runs`
    (filtered_runs of `grid`) saves filtering again."""
    beat_index = np.asarray(beat_index, dtype=np.int64)
    ok = np.zeros(beat_index.size, dtype=bool)
    for a, b, filtered in filtered_runs(grid, fs) if runs is None else runs:
        inside = (beat_index >= a) & (beat_index < b)
        if np.any(inside):
            ok[inside] = quality.beats_ok(filtered, fs, beat_index[inside] - a)
    return ok


def rr_of_good_beats(beat_index: np.ndarray, fs: float, grid: np.ndarray, ok: np.ndarray):
    """RR intervals with NaN for every interval touching a rejected beat or a gap: bad
    stretches are left out, never guessed through."""
    rr_s = rr_with_breaks(beat_index, fs, grid)
    if rr_s.size:
        ok = np.asarray(ok, dtype=bool)
        rr_s = np.where(ok[1:] & ok[:-1], rr_s, np.nan)
    return rr_s


def cardiac_from_ppg(
    grid: np.ndarray, fs: float, beat_index: np.ndarray, beat_ok: np.ndarray | None = None
) -> CardiacFeatures:
    """Cardiac features of a uniformly sampled, blood-volume-up PPG window (NaN = gap) whose
    beats are already known (indices into `grid`); `beat_ok` flags the clean ones (judged here
    when not given)."""
    covered_s = np.count_nonzero(np.isfinite(grid)) / fs
    if covered_s < MIN_COVERED_S:
        return CardiacFeatures()
    beat_index = np.asarray(beat_index, dtype=np.int64)
    runs = filtered_runs(grid, fs)  # filtered once for both quality judgements
    if beat_ok is None:
        beat_ok = beats_ok_with_gaps(grid, fs, beat_index, runs)
    signal_quality = ppg_quality_with_gaps(grid, fs, beat_index, runs)
    rr_s = rr_of_good_beats(beat_index, fs, grid, beat_ok)
    features = _cardiac(rr_s, signal_quality, n_beats=len(beat_index))
    # Rejected beats count against the window like corrected ones.
    rejected = 1.0 - float(np.mean(beat_ok)) if beat_index.size else 1.0
    share = min(1.0, features.rr_corrected_share * (1.0 - rejected) + rejected)
    features = dataclasses.replace(
        features,
        rr_corrected_share=share,
        quality=float(np.clip(signal_quality * (1.0 - share), 0.0, 1.0)),
    )
    return judge_rhythm(features, rr_s)


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
    scrs = eda.detect_scrs(phasic, fs, noise_sd=eda.noise_sd_us(us))  # gaps not counted
    t = idx / fs
    return EdaFeatures(
        scl_us=float(np.mean(tonic[finite])),
        scl_slope_us_per_min=eda.scl_slope_us_per_min(t[finite], tonic[finite]),
        scr_per_min=float(len(scrs) / (covered_s / 60.0)),
        quality=float(q),
        scr_amplitude_us=float(np.mean(scrs["amplitude_us"])) if len(scrs) else math.nan,
        scr_rise_time_s=float(np.mean(scrs["rise_time_s"])) if len(scrs) else math.nan,
    )


def window_features(
    t_end: float, window_s: float, cardiac: CardiacFeatures, eda_features: EdaFeatures
) -> WindowFeatures:
    """One window's WindowFeatures from its cardiac and EDA features (the stream and offline
    analysis build them here alike)."""
    return WindowFeatures(
        t_end=float(t_end),
        window_s=float(window_s),
        hr_bpm=cardiac.hr_bpm,
        rmssd_ms=cardiac.rmssd_ms,
        sdnn_ms=cardiac.sdnn_ms,
        n_beats=cardiac.n_beats,
        rr_corrected_share=cardiac.rr_corrected_share,
        breathing_rate_bpm=cardiac.breathing_rate_bpm,
        scl_us=eda_features.scl_us,
        scl_slope_us_per_min=eda_features.scl_slope_us_per_min,
        scr_per_min=eda_features.scr_per_min,
        ppg_quality=cardiac.quality,
        eda_quality=eda_features.quality,
        pnn50_pct=cardiac.pnn50_pct,
        lf_hf=cardiac.lf_hf,
        scr_amplitude_us=eda_features.scr_amplitude_us,
        scr_rise_time_s=eda_features.scr_rise_time_s,
        irregular_rhythm=cardiac.irregular_rhythm,
    )
