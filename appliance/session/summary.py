"""A finished session's summary: the one record of its outcome that its row keeps.

Its start and end figures follow the one definition in appliance/signals/outcome.py, which the
report and the CLI use too, so every place shows the same numbers for the same session.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from appliance.affect.baseline import round_for_record
from appliance.affect.estimate import AffectEstimate
from appliance.affect.tracker import AffectTracker
from appliance.signals.features import WindowFeatures
from appliance.signals.outcome import arousal_change, heart_rate_change


class Trace:
    """What the summary needs of each window: time, heart rate, arousal and their qualities
    (five floats a window: an hour at one window per 5 s is 720 rows)."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, float, float, float, float]] = []

    def add(self, t_s: float, window: WindowFeatures, estimate: AffectEstimate | None) -> None:
        arousal = estimate.arousal if estimate is not None else math.nan
        quality = estimate.quality if estimate is not None else math.nan
        self._rows.append((t_s, window.hr_bpm, window.ppg_quality, arousal, quality))

    def columns(self) -> tuple[np.ndarray, ...]:
        rows = np.array(self._rows, dtype=float).reshape(-1, 5)
        return tuple(rows.T)


def session_summary(
    status: str,
    elapsed_s: float,
    *,
    segments: int,
    missing: Iterable[str],
    cancelled: bool,
    affect: AffectTracker,
    trace: Trace,
    calibration_s: float,
) -> dict[str, object]:
    last = affect.latest
    summary: dict[str, object] = {
        "status": status,
        "duration_min": round(elapsed_s / 60.0, 2),
        "segments": segments,
        "missing_sensors": list(missing),
    }
    if cancelled:
        summary["cancelled"] = True
    if last is not None:
        summary["affect_source"] = last.source
        summary["model_drift"] = affect.drift_flagged
    if affect.baseline is not None:
        summary["baseline_hr_bpm"] = round_for_record(affect.baseline.hr_bpm)
    if affect.baseline_arousal is not None:
        summary["arousal_entry"] = round(affect.baseline_arousal, 3)  # against resting norms
    t_s, hr, ppg_quality, arousal, quality = trace.columns()
    hr_change = heart_rate_change(t_s, hr, ppg_quality, (0.0, calibration_s))
    if hr_change.end is not None:
        summary["end_hr_bpm"] = round_for_record(hr_change.end)
    change = arousal_change(t_s, arousal, quality, calibration_s)
    if change.delta is not None:
        summary["arousal_start"] = round(change.start, 3)  # type: ignore[arg-type]
        summary["arousal_end"] = round(change.end, 3)  # type: ignore[arg-type]
        summary["arousal_change"] = round(change.delta, 3)
        summary["arousal_quality"] = round(change.quality, 2)  # type: ignore[arg-type]
    return summary
