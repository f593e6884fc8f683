"""The report's time-series helpers."""

from __future__ import annotations

import numpy as np

from appliance.report import series


def _decision(t_s: float, duration_s: float, phase: str, tempo: float = 60.0) -> dict:
    return {"t_s": t_s, "duration_s": duration_s, "phase": phase, "tempo_bpm": tempo}


def test_phase_spans_merge_consecutive_segments_of_one_phase() -> None:
    segs = series.segments(
        [_decision(0, 180, "calibration"), _decision(180, 120, "descend"),
         _decision(300, 120, "descend"), _decision(420, 120, "trough")]
    )  # fmt: skip
    spans = series.phase_spans(segs)
    assert [(s.phase, s.start_s, s.end_s) for s in spans] == [
        ("calibration", 0, 180),
        ("descend", 180, 420),
        ("trough", 420, 540),
    ]


def test_with_gaps_breaks_lines_across_missing_windows() -> None:
    t = np.array([0.0, 5.0, 10.0, 100.0, 105.0])
    y = np.arange(5.0)
    t_out, y_out = series.with_gaps(t, y)
    assert t_out.size == 6 and np.isnan(y_out[3])
    assert 10.0 < t_out[3] < 100.0
    assert np.array_equal(y_out[~np.isnan(y_out)], y)
