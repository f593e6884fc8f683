"""A finished session's summary: the one record of its outcome that its row keeps."""

from __future__ import annotations

from collections.abc import Iterable

from appliance.affect.baseline import round_for_record
from appliance.affect.tracker import AffectTracker
from appliance.signals.features import WindowFeatures


def session_summary(
    status: str,
    elapsed_s: float,
    *,
    segments: int,
    missing: Iterable[str],
    cancelled: bool,
    affect: AffectTracker,
    last_window: WindowFeatures | None,
) -> dict[str, object]:
    first, last = affect.first, affect.latest
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
    if last_window is not None:
        summary["end_hr_bpm"] = round_for_record(last_window.hr_bpm)
    if first is not None and last is not None:
        summary["arousal_start"] = round(first.arousal, 3)
        summary["arousal_end"] = round(last.arousal, 3)
        summary["arousal_change"] = round(last.arousal - first.arousal, 3)
    return summary
