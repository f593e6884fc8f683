"""The one-page session report: drawn from a synthetic stored session, checked as an image."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.report.session_png import (
    DPI,
    FIGURE_SIZE_IN,
    NO_PHYSIOLOGY,
    TRUSTED_WINDOWS,
    render_session_png,
    session_figure,
)
from appliance.sequencer.decision import Decision
from appliance.signals.features import WindowFeatures
from appliance.store.db import Store

START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
EXPECTED_SHAPE = (round(FIGURE_SIZE_IN[1] * DPI), round(FIGURE_SIZE_IN[0] * DPI))
ARC = (  # start s, duration s, phase, tempo BPM
    (0, 180, "calibration", 72),
    (180, 120, "iso", 72),
    (300, 240, "descend", 64),
    (540, 360, "trough", 56),
    (900, 120, "rise", 62),
    (1020, 180, "fade", 58),
)
POOR_SIGNAL_S = (400.0, 460.0)  # the finger slipped: poor PPG quality


def _synthetic_session(store: Store) -> int:
    """A 20-minute relax session whose listener calms down, built from the seam dataclasses."""
    rng = np.random.default_rng(7)
    sid = store.start_session("L-0042", "relax", 1200, START)
    for start, duration, phase, tempo in ARC:
        store.add_decision(
            sid, start, Decision(Recipe(tempo_bpm=tempo), duration, phase, f"arc.{phase}", "r")
        )
    for t in np.arange(60.0, 1200.0, 5.0):
        progress = min(t, 900.0) / 900.0
        poor = POOR_SIGNAL_S[0] <= t <= POOR_SIGNAL_S[1]
        features = WindowFeatures(
            t_end=10_000 + t, window_s=60,
            hr_bpm=84 - 12 * progress + rng.normal(0, 0.8),
            scl_us=6.0 - 1.5 * progress + rng.normal(0, 0.05),
            scr_per_min=max(0.0, 4 - 3 * progress + rng.normal(0, 0.3)),
            ppg_quality=0.15 if poor else 0.9, eda_quality=0.8,
        )  # fmt: skip
        arousal = float(np.clip(0.7 - 0.4 * progress + rng.normal(0, 0.02), 0, 1))
        estimate = AffectEstimate(t=10_000 + t, p_stress=arousal, arousal=arousal,
                                  confidence=0.8, quality=features.quality)  # fmt: skip
        store.add_physiology(sid, float(t), features, estimate)
    store.add_event(sid, 780.0, "alert", "heart rate above limit")
    store.end_session(sid, "completed", 1200.0, {})
    return sid


@pytest.fixture
def store() -> Store:
    with Store(":memory:") as s:
        yield s


def _texts(figure) -> str:
    return "\n".join(t.get_text() for t in figure.findobj(matplotlib.text.Text))


def test_report_renders_a_readable_png(store: Store, tmp_path: Path) -> None:
    sid = _synthetic_session(store)
    out = render_session_png(store, sid, tmp_path / "reports" / "session.png")
    assert out.exists()
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == EXPECTED_SHAPE
    assert float(image[..., :3].std()) > 0.05  # not blank
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    assert [p.name for p in out.parent.iterdir()] == ["session.png"]  # no temp files left


def test_report_says_who_what_when_and_how_it_went(store: Store) -> None:
    sid = _synthetic_session(store)
    text = _texts(session_figure(store, sid))
    expected_texts = ("L-0042", "relax", "01 May 2024", "20 of 20 min planned", "COMPLETED")
    for expected in (*expected_texts, "alert"):
        assert expected in text
    for phase in ("calibration", "iso", "descend", "trough", "rise", "fade"):
        assert phase in text
    # Calibration windows (1-3 min) have HR ≈ 82.4 bpm, the last two minutes ≈ 72: a fall.
    found = re.search(r"Heart rate (\d+) → (\d+) bpm \(−(\d+), signal quality", text)
    assert found, text
    start, end, fall = map(int, found.groups())
    assert 81 <= start <= 84 and 71 <= end <= 73 and fall == start - end


def test_poor_quality_windows_are_not_drawn_as_trusted(store: Store) -> None:
    sid = _synthetic_session(store)
    hr_axes = session_figure(store, sid).axes[1]
    (trusted,) = [line for line in hr_axes.lines if line.get_label() == TRUSTED_WINDOWS]
    t_min, hr = (np.asarray(a, dtype=float) for a in trusted.get_data())
    poor = (t_min >= POOR_SIGNAL_S[0] / 60) & (t_min <= POOR_SIGNAL_S[1] / 60)
    assert poor.any() and np.isnan(hr[poor]).all()
    assert np.isfinite(hr[~poor]).mean() > 0.95


def test_session_without_physiology_renders_with_a_clear_note(store: Store, tmp_path: Path) -> None:
    sid = store.start_session(None, "sleep", 900, START)
    store.add_decision(sid, 0, Decision(Recipe(tempo_bpm=70), 180, "calibration", "c", "r"))
    store.add_decision(sid, 180, Decision(Recipe(tempo_bpm=64), 300, "descend", "d", "r"))
    store.end_session(sid, "stopped", 480.0, {})
    out = render_session_png(store, sid, tmp_path / "empty.png")
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == EXPECTED_SHAPE
    assert float(image[..., :3].std()) > 0.05
    text = _texts(session_figure(store, sid))
    assert NO_PHYSIOLOGY in text and "Anonymous listener" in text and "STOPPED" in text


def test_running_session_with_nothing_recorded_still_renders(store: Store, tmp_path: Path) -> None:
    sid = store.start_session("L-9", "relax", 1200, START)
    out = render_session_png(store, sid, tmp_path / "r.png")
    assert matplotlib.image.imread(out).shape[:2] == EXPECTED_SHAPE
    assert "No music decisions recorded" in _texts(session_figure(store, sid))


def test_report_shows_the_start_on_the_care_homes_clock(store: Store) -> None:
    from zoneinfo import ZoneInfo

    sid = _synthetic_session(store)  # recorded 10:00 UTC
    assert "01 May 2024 11:00 BST" in _texts(session_figure(store, sid, ZoneInfo("Europe/London")))
    assert "01 May 2024 10:00 UTC" in _texts(session_figure(store, sid))


def test_a_staff_alert_is_drawn_as_an_alert(store: Store) -> None:
    from appliance.report.session_png import COLOURS

    sid = _synthetic_session(store)
    store.add_event(sid, 600.0, "staff_alert", "heart rate above limit")
    hr_axes = session_figure(store, sid).axes[1]
    red = [line for line in hr_axes.lines if line.get_color() == COLOURS["alert"]]
    assert [float(line.get_xdata()[0]) for line in red] == [10.0, 13.0]  # minutes
