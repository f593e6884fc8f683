"""Shared by the signals benchmarks: the Stress-Predict recordings and agreement measures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
RAW = DATA / "stress_predict" / "Raw_data"
LABELLED = range(2, 36)  # participants with the authors' labels
MATCH_S = 0.050
WINDOW_S = 60.0
MIN_REFERENCE_S = 30.0  # a window's E4 HR needs this much of its IBI coverage


def recordings(participants=LABELLED) -> list[Path]:
    return [RAW / f"S{p:02d}" for p in participants if (RAW / f"S{p:02d}" / "BVP.csv").exists()]


def matched_share(reference: np.ndarray, ours: np.ndarray, tol_s: float = MATCH_S) -> float:
    """Share of reference beats with one of ours within `tol_s`."""
    if reference.size == 0:
        return float("nan")
    if ours.size == 0:
        return 0.0
    j = np.clip(np.searchsorted(ours, reference), 1, ours.size - 1)
    nearest = np.minimum(np.abs(ours[j - 1] - reference), np.abs(ours[j] - reference))
    if ours.size == 1:
        nearest = np.abs(ours[0] - reference)
    return float(np.mean(nearest <= tol_s))


def e4_window_hr(ibi_times: np.ndarray, ibi_s: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The E4's HR per window from its IBI.csv (NaN where it covers under MIN_REFERENCE_S)."""
    out = np.full(ends.size, np.nan)
    for i, end in enumerate(ends):
        inside = (ibi_times > end - WINDOW_S) & (ibi_times <= end)
        if ibi_s[inside].sum() >= MIN_REFERENCE_S:
            out[i] = 60.0 / float(np.mean(ibi_s[inside]))
    return out


def mean_rate_per_window(rate: np.ndarray, fs: float, ends: np.ndarray) -> np.ndarray:
    return np.array([np.nanmean(rate[int((e - WINDOW_S) * fs) : int(e * fs)]) for e in ends])
