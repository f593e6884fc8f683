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
    beat_times_s: np.ndarray  # accepted beats, seconds from the recording's start
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
    ppg = np.asarray(ppg_blood_volume_up, dtype=float)
    eda = np.empty(0) if eda_us is None else np.asarray(eda_us, dtype=float)
    duration_s = max(ppg.size / ppg_fs, eda.size / eda_fs)
    stream = PhysiologyStream(window_s=window_s, update_s=step_s, ppg_fs=ppg_fs, now_start=0.0)
    beats: list[np.ndarray] = []
    last_beat = -np.inf
    out: list[WindowFeatures] = []
    t_batch = 0.0
    while t_batch < duration_s:
        t_next = t_batch + BATCH_S
        a, b = round(t_batch * ppg_fs), min(ppg.size, round(t_next * ppg_fs))
        if b > a:
            t = np.arange(a, b) / ppg_fs
            # The stream takes sensor polarity (inverted, like the MAX30102 IR channel).
            stream.push_ppg(PpgBatch(t, -ppg[a:b], -ppg[a:b]))
        a, b = round(t_batch * eda_fs), min(eda.size, round(t_next * eda_fs))
        if b > a:
            stream.push_gsr(GsrBatch(np.arange(a, b) / eda_fs, eda[a:b]))
        features = stream.update(t_next)
        if features is not None and t_next >= window_s - 1e-9:
            out.append(features)
        held = stream.beat_times()
        new = held[held > last_beat]
        if new.size:
            beats.append(new)
            last_beat = float(new[-1])
        t_batch = t_next
    all_beats = np.concatenate(beats) if beats else np.empty(0)
    return RecordingAnalysis(beat_times_s=all_beats, windows=out)
