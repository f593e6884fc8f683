"""Whole recordings through the live pipeline: the same code path the device runs.

A recording is fed to PhysiologyStream in short batches, as sensors would deliver it, and the
features of each window are collected with every beat the stream finalised. Memory stays bounded
by the stream's own buffers plus the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from appliance.signals.features import WindowFeatures
from appliance.signals.stream import PhysiologyStream
from drivers.sources import GsrBatch, PpgBatch

BATCH_S = 1.0  # sensors deliver about this much per read


@dataclass(frozen=True)
class RecordingAnalysis:
    beat_times_s: np.ndarray  # detected beats, seconds from the start (window features drop
    # the ones beat-level quality rejects)
    windows: list[WindowFeatures]


def analyse_recording(
    ppg_blood_volume_up: np.ndarray,
    ppg_fs: float,
    eda_us: np.ndarray | None = None,
    eda_fs: float = 4.0,
    *,
    window_s: float = 60.0,
    step_s: float = 60.0,
) -> RecordingAnalysis:
    """Stream a recording (PPG blood-volume-up; EDA in µS, optional) through the pipeline.

    Times are seconds from the recording's first sample. Windows end every `step_s`.
    """
    for name, fs in (("PPG", ppg_fs), ("EDA", eda_fs)):
        # The stream sizes its buffers from the rate: a broken one must not reach it.
        if not (np.isfinite(fs) and fs > 0):
            raise ValueError(f"{name} sample rate must be a positive number of Hz, not {fs}")
    ppg = np.asarray(ppg_blood_volume_up, dtype=float)
    eda = np.empty(0) if eda_us is None else np.asarray(eda_us, dtype=float)
    duration_s = max(ppg.size / ppg_fs, eda.size / eda_fs)
    stream = PhysiologyStream(window_s=window_s, update_s=step_s, ppg_fs=ppg_fs, now_start=0.0)
    beats: list[np.ndarray] = []
    last_beat = -np.inf
    out: list[WindowFeatures] = []
    n_batches = int(np.ceil(duration_s / BATCH_S))
    per_step = max(1, round(step_s / BATCH_S))
    held = np.empty(0)
    for i in range(n_batches):
        t_batch, t_next = i * BATCH_S, (i + 1) * BATCH_S
        a, b = round(t_batch * ppg_fs), min(ppg.size, round(t_next * ppg_fs))
        if b > a:
            # The stream takes sensor polarity (inverted, like the MAX30102 IR channel).
            sensor = -ppg[a:b]
            stream.push_ppg(PpgBatch(np.arange(a, b) / ppg_fs, sensor, sensor))
        a, b = round(t_batch * eda_fs), min(eda.size, round(t_next * eda_fs))
        if b > a:
            stream.push_gsr(GsrBatch(np.arange(a, b) / eda_fs, eda[a:b]))
        if (i + 1) % per_step == 0 and t_next >= window_s - 1e-9:
            features = stream.update(t_next)
            if features is not None:
                out.append(features)
        previous, held = held, stream.beat_times()
        if held is previous:  # unchanged since the last batch: nothing new
            continue
        new = held[held > last_beat]
        if new.size:
            beats.append(new)
            last_beat = float(new[-1])
    all_beats = np.concatenate(beats) if beats else np.empty(0)
    return RecordingAnalysis(beat_times_s=all_beats, windows=out)


def analyse_offline(
    ppg_blood_volume_up: np.ndarray,
    ppg_fs: float,
    eda_us: np.ndarray | None = None,
    eda_fs: float = 4.0,
    *,
    window_s: float = 60.0,
    step_s: float = 60.0,
) -> RecordingAnalysis:
    """The same pure functions on a whole recording at once (training, evaluation): one
    filtering and detection pass, then each window's features from its slice."""
    from appliance.signals import windows
    from appliance.signals.eda import EDA_FS_HZ
    from appliance.signals.ppg import bandpass, detect_beats

    ppg = np.asarray(ppg_blood_volume_up, dtype=float)
    beats = detect_beats(bandpass(ppg, ppg_fs), ppg_fs) if ppg.size else np.empty(0, np.int64)
    eda = np.empty(0) if eda_us is None else np.asarray(eda_us, dtype=float)
    if eda.size and eda_fs != EDA_FS_HZ:
        eda = np.interp(
            np.arange(0, eda.size / eda_fs, 1 / EDA_FS_HZ), np.arange(eda.size) / eda_fs, eda
        )
    duration_s = max(ppg.size / ppg_fs, eda.size / EDA_FS_HZ)
    out = []
    for end in np.arange(window_s, duration_s + 1e-9, step_s):
        a, b = round((end - window_s) * ppg_fs), round(end * ppg_fs)
        lo, hi = np.searchsorted(beats, [a, b])
        cardiac = windows.cardiac_from_ppg(ppg[a:b], ppg_fs, beats[lo:hi] - a)
        ea, eb = round((end - window_s) * EDA_FS_HZ), round(end * EDA_FS_HZ)
        e = windows.eda_window(eda[ea:eb]) if eb <= eda.size else windows.EdaFeatures()
        out.append(windows.window_features(float(end), window_s, cardiac, e))
    return RecordingAnalysis(beat_times_s=beats / ppg_fs, windows=out)
