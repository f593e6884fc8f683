"""The report's time-series helpers and its one-line outcome."""

from __future__ import annotations

import numpy as np
import pytest

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


def _rows(t, hr, ppg_quality, arousal, quality) -> list[dict]:
    return [
        {"t_s": a, "hr_bpm": b, "ppg_quality": c, "arousal": d, "quality": e}
        for a, b, c, d, e in zip(t, hr, ppg_quality, arousal, quality, strict=True)
    ]


def test_changes_use_only_good_windows_and_arousal_starts_after_calibration() -> None:
    t = np.arange(0.0, 1200.0, 60.0)
    hr = np.where(t < 180, 80.0, 70.0)
    hr[1] = 200.0  # an artefact…
    ppg_quality = np.full(t.size, 0.9)
    ppg_quality[1] = 0.1  # …in a poor window: ignored
    arousal = np.where(t < 180, np.nan, np.where(t < 600, 0.6, 0.3))  # none in calibration
    rows = _rows(t, hr, ppg_quality, arousal, np.full(t.size, 0.8))
    hr_change, arousal_change = series.changes(rows, series.calibration_window([]))
    assert (hr_change.start, hr_change.end, hr_change.delta) == (80.0, 70.0, -10.0)
    assert hr_change.quality == pytest.approx(0.9)
    assert (arousal_change.start, arousal_change.end) == (0.6, 0.3)
    assert arousal_change.quality == pytest.approx(0.8)
    line = series.summary_line(hr_change, arousal_change)
    assert "Heart rate 80 → 70 bpm (−10, quality 0.9)" in line
    assert "Arousal 0.60 → 0.30 (−0.30, quality 0.8)" in line


def test_changes_without_good_data_say_what_is_missing() -> None:
    t = np.arange(0.0, 600.0, 60.0)
    rows = _rows(t, np.full(t.size, 75.0), np.zeros(t.size), np.full(t.size, 0.5), np.zeros(t.size))
    hr_change, arousal_change = series.changes(rows, (0.0, 180.0))
    assert hr_change.delta is None and arousal_change.delta is None
    line = series.summary_line(hr_change, arousal_change)
    assert "Heart rate: no usable pulse signal" in line
    assert "Arousal: no usable estimate" in line


def test_the_headline_names_the_arrival_when_the_session_has_an_entry_estimate() -> None:
    from appliance.signals.outcome import Change

    line = series.summary_line(Change(88, 73, 1.0, 1.0), Change(0.36, 0.18, 1.0, 1.0), 0.74)
    assert line.endswith("on arrival 0.74") and "Arousal 0.36 → 0.18 (−0.18" in line
