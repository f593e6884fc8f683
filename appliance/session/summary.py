"""A finished session's summary: the one record of its outcome that its row keeps.

Its before/after figures follow the one definition in appliance/signals/outcome.py, which the
report, the CLI and the exports use too (through appliance/report/outcomes.py), so every place
shows the same numbers for the same session. The summary keeps them unrounded under "outcome":
a session without consent keeps no windows, so this is all its outcome can be computed from,
and a figure is rounded once, where it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from appliance.affect.baseline import round_for_record
from appliance.affect.estimate import AffectEstimate
from appliance.affect.tracker import AffectTracker
from appliance.signals.features import WindowFeatures
from appliance.signals.outcome import MEASURES, session_changes, time_to_calm

# The columns a Trace keeps of each window, in order (the names are the store's).
TRACE_COLUMNS = (
    "t_s",
    "hr_bpm",
    "ppg_quality",
    "rmssd_ms",
    "scl_us",
    "scr_per_min",
    "eda_quality",
    "arousal",
    "quality",
)


class Trace:
    """What the summary needs of a session: each window's measures and qualities (nine floats
    a window: an hour at one window per 5 s is 720 rows), the arc's deepest arousal target and
    the listener's presses."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, ...]] = []
        self.lowest_target: float | None = None
        self.likes = 0
        self.stops = 0  # the listener (or staff for them) stopped the session
        self.distress = 0

    def add(self, t_s: float, window: WindowFeatures, estimate: AffectEstimate | None) -> None:
        arousal = estimate.arousal if estimate is not None else math.nan
        quality = estimate.quality if estimate is not None else math.nan
        self._rows.append(
            (
                t_s,
                window.hr_bpm,
                window.ppg_quality,
                window.rmssd_ms,
                window.scl_us,
                window.scr_per_min,
                window.eda_quality,
                arousal,
                quality,
            )
        )

    def note_target(self, target_arousal: float | None) -> None:
        if target_arousal is not None and math.isfinite(target_arousal):
            low = self.lowest_target
            self.lowest_target = target_arousal if low is None else min(low, target_arousal)

    def columns(self) -> dict[str, np.ndarray]:
        rows = np.array(self._rows, dtype=float).reshape(-1, len(TRACE_COLUMNS))
        return dict(zip(TRACE_COLUMNS, rows.T, strict=True))


def outcome_record(trace: Trace, calibration_s: float) -> dict[str, object]:
    """The summary's "outcome": each measure as [start, end, start quality, end quality]
    (null where there is none), time to calm, the arc's target and the presses."""
    columns = trace.columns()
    changes = session_changes(columns, (0.0, calibration_s))
    record: dict[str, object] = {"calibration_s": float(calibration_s)}
    for name, *_ in MEASURES:
        c = changes[name]
        record[name] = [c.start, c.end, c.start_quality, c.end_quality]
    record["target_arousal"] = trace.lowest_target
    record["time_to_calm_min"] = time_to_calm(
        columns["t_s"], columns["arousal"], columns["quality"], trace.lowest_target, calibration_s
    )
    record["likes"] = trace.likes
    record["stops"] = trace.stops
    record["distress"] = trace.distress
    return record


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
        # Read against the population norm (0) or the listener's own N earlier sessions.
        summary["entry_reference_sessions"] = affect.reference_sessions
    calibration = affect.calibration_record()
    if calibration is not None:
        summary["calibration"] = calibration  # the listener's later sessions read against it
    outcome = outcome_record(trace, calibration_s)
    summary["outcome"] = outcome
    _hr_start, hr_end, *_ = outcome["heart_rate"]  # type: ignore[misc]
    if hr_end is not None:
        summary["end_hr_bpm"] = round_for_record(hr_end)
    a_start, a_end, a_start_q, a_end_q = outcome["arousal"]  # type: ignore[misc]
    if a_start is not None and a_end is not None:
        summary["arousal_start"] = round(a_start, 3)
        summary["arousal_end"] = round(a_end, 3)
        summary["arousal_change"] = round(a_end - a_start, 3)
        summary["arousal_quality"] = round(min(a_start_q, a_end_q), 2)
    return summary
