"""Synthetic physiology with known truth for the signals tests."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np
from scipy.signal import find_peaks


def simulated_ppg(
    duration_s: float, fs: float, hr_bpm: float, seed: int, noisy: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(PPG, true systolic-peak indices). NeuroKit2 draws the waveform and the noise from
    separate random streams, so the noise-free twin of the same seed has the same beats."""
    common = dict(duration=duration_s, sampling_rate=int(fs), heart_rate=hr_bpm, random_state=seed)
    clean = nk.ppg_simulate(motion_amplitude=0, powerline_amplitude=0, drift=0, **common)
    truth, _ = find_peaks(clean, distance=int(0.3 * fs), prominence=0.5)
    if not noisy:
        return clean, truth
    ppg = nk.ppg_simulate(motion_amplitude=0.2, powerline_amplitude=0, drift=0.5, **common)
    return ppg, truth


def max30102_ir(ppg: np.ndarray) -> np.ndarray:
    """A blood-volume-up PPG as the MAX30102's IR channel reports it: large DC, inverted."""
    return 120_000.0 - 400.0 * ppg


def scr_shape(t: np.ndarray, onset_s: float, amplitude_us: float) -> np.ndarray:
    """One skin conductance response: bi-exponential, peak `amplitude_us` about 1.3 s in."""
    x = np.clip(t - onset_s, 0.0, None)
    y = np.exp(-x / 2.0) - np.exp(-x / 0.75)
    return amplitude_us * y / y.max()


def eda_with_scrs(
    duration_s: float, fs: float, onsets_s, amplitudes_us, slope_us_per_min: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(t, µS): a tonic level with a linear trend, SCRs at known onsets, sensor noise."""
    t = np.arange(0.0, duration_s, 1.0 / fs)
    us = 2.0 + slope_us_per_min * t / 60.0
    for onset, amp in zip(onsets_s, amplitudes_us, strict=True):
        us = us + scr_shape(t, onset, amp)
    us = us + np.random.default_rng(seed).normal(0.0, 0.003, t.size)
    return t, us
