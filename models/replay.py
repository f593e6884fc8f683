"""Replaying a recorded session through the live physiology stream, for training and evaluation.

A recording is fed to PhysiologyStream exactly as the sensors would feed it on the device: the
PPG resampled to the MAX30102's rate and pushed as the IR channel, the skin conductance
resampled to the rate the GSR is polled at and pushed as that path delivers it (µS, NaN where
the electrodes are off), so the stream bins it onto its analysis grid as on the device. The
features a model learns from are then the features the device computes, window for window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from appliance.signals.features import WindowFeatures
from appliance.signals.quality import EDA_MIN_US
from appliance.signals.stream import PhysiologyStream
from drivers.sources import GsrBatch, PpgBatch
from models.e4 import E4Recording

DEVICE_PPG_FS_HZ = 100.0  # the MAX30102's configured rate (hardware.ppg.sample_rate)
DEVICE_GSR_POLL_HZ = 16.0  # how often the GSR is read (hardware.gsr.poll_hz)
WINDOW_S = 60.0  # session.window_s
UPDATE_S = 5.0  # session.update_s
PUSH_EVERY_S = 1.0  # batch size fed to the stream, about what the sensor loop drains


@dataclass(frozen=True)
class ReplaySettings:
    window_s: float = WINDOW_S
    update_s: float = UPDATE_S
    ppg_fs: float = DEVICE_PPG_FS_HZ
    gsr_fs: float = DEVICE_GSR_POLL_HZ


def resample_to(signal: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """Polyphase resampling from fs_in to fs_out (anti-aliased); NaN samples stay gaps: every
    output sample whose nearest input sample is missing is NaN."""
    x = np.asarray(signal, dtype=float)
    if x.size == 0 or fs_in == fs_out:
        return x.copy()
    up, down = _rational(fs_out / fs_in)
    finite = np.isfinite(x)
    if not finite.any():
        return np.full(-(-x.size * up // down), np.nan)
    # Gaps are bridged linearly for the filter only: a fill value unlike the neighbours (the
    # recording's median, say) would ring into the samples beside the gap. The ends are
    # extended along a line for the same reason (zero padding would ramp the first and last
    # samples down towards 0 µS).
    at = np.arange(x.size)
    out = resample_poly(np.interp(at, at[finite], x[finite]), up, down, padtype="line")
    if not finite.all():
        nearest = np.round(np.arange(out.size) * down / up).astype(np.int64)
        out[~finite[nearest.clip(0, x.size - 1)]] = np.nan
    return out


def _rational(ratio: float, max_denominator: int = 1000) -> tuple[int, int]:
    from fractions import Fraction

    f = Fraction(ratio).limit_denominator(max_denominator)
    return f.numerator, f.denominator


def replay_e4(
    recording: E4Recording, settings: ReplaySettings | None = None
) -> list[WindowFeatures]:
    """The stream's WindowFeatures for a whole E4 recording, times in seconds from its start.

    The E4 stores BVP with blood volume down (see E4Recording.bvp_blood_volume_up); the stream
    inverts the IR channel itself, as the MAX30102's channels fall when blood volume rises, so
    the stored BVP is pushed as it is.
    """
    s = settings or ReplaySettings()
    ppg = resample_to(recording.bvp, recording.bvp_fs, s.ppg_fs)
    # The device averages several GSR readings into each analysis bin; an E4's 4 Hz EDA pushed
    # as it is would put one reading in each, and SCR counts near the amplitude floor differ.
    # Below EDA_MIN_US the electrodes are off (an E4 stores ~0 µS before skin contact: the
    # first sample of every Stress-Predict recording, the first seconds of others), and the GSR
    # driver then delivers no reading; as a reading, those zeros would set the session's
    # lowest skin conductance, and every later window would look aroused against it.
    worn = np.where(recording.eda >= EDA_MIN_US, recording.eda, np.nan)
    eda = resample_to(worn, recording.eda_fs, s.gsr_fs)
    return replay_arrays(ppg, s.ppg_fs, eda, s.gsr_fs, s)


def replay_arrays(
    ppg_ir: np.ndarray,
    ppg_fs: float,
    eda_us: np.ndarray,
    eda_fs: float,
    settings: ReplaySettings | None = None,
) -> list[WindowFeatures]:
    """Feed uniformly sampled PPG (as the MAX30102's IR: blood volume down) and EDA (µS) into a
    fresh stream from t = 0 and collect a WindowFeatures every update."""
    s = settings or ReplaySettings()
    stream = PhysiologyStream(
        window_s=s.window_s, update_s=s.update_s, ppg_fs=s.ppg_fs, now_start=0.0
    )
    ppg_ir = np.asarray(ppg_ir, dtype=float)
    eda_us = np.asarray(eda_us, dtype=float)
    duration = max(ppg_ir.size / ppg_fs, eda_us.size / eda_fs if eda_fs > 0 else 0.0)
    out: list[WindowFeatures] = []
    n_steps = math.floor(duration / PUSH_EVERY_S)
    for step in range(n_steps):
        t0, t1 = step * PUSH_EVERY_S, (step + 1) * PUSH_EVERY_S
        a, b = round(t0 * ppg_fs), min(round(t1 * ppg_fs), ppg_ir.size)
        if b > a:
            t = np.arange(a, b) / ppg_fs
            stream.push_ppg(PpgBatch(t=t, red=ppg_ir[a:b], ir=ppg_ir[a:b]))
        if eda_fs > 0:
            a, b = round(t0 * eda_fs), min(round(t1 * eda_fs), eda_us.size)
            if b > a:
                stream.push_gsr(GsrBatch(t=np.arange(a, b) / eda_fs, microsiemens=eda_us[a:b]))
        features = stream.update(t1)
        if features is not None:
            out.append(features)
    return out
