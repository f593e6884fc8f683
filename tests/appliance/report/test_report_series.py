"""The report's time-series helpers and its one-line outcome."""

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


def test_change_uses_only_good_windows_in_calibration_and_at_the_end() -> None:
    t = np.arange(0.0, 1200.0, 60.0)
    hr = np.where(t < 180, 80.0, 70.0)
    hr[1] = 200.0  # an artefact…
    quality = np.full(t.size, 0.9)
    quality[1] = 0.1  # …in a poor window: ignored
    c = series.change(t, hr, quality, series.calibration_window([]))
    assert (c.start, c.end, c.delta) == (80.0, 70.0, -10.0)


def test_change_without_good_data_says_so() -> None:
    t = np.arange(0.0, 600.0, 60.0)
    c = series.change(t, np.full(t.size, 75.0), np.zeros(t.size), (0.0, 180.0))
    assert c.delta is None
    line = series.summary_line(c, series.Change(0.6, 0.3))
    assert "Heart rate: not enough good-quality data" in line
    assert "Arousal 0.60 → 0.30 (−0.30)" in line
