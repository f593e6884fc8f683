"""The per-session outcome: one definition, read from the summary a session records or, for an
older session, computed from its stored windows by the same definition."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from appliance.music.recipe import Recipe
from appliance.report.outcomes import Measure, rounded, session_outcome, session_outcomes
from appliance.sequencer.decision import Decision
from appliance.session.summary import Trace, outcome_record
from appliance.signals.features import WindowFeatures
from appliance.store.db import MEMORY, Store

CALIBRATION_S = 120.0


def _window(t: float) -> WindowFeatures:
    calm = t > CALIBRATION_S  # the listener settles once the music starts
    return WindowFeatures(
        t_end=t,
        window_s=30.0,
        hr_bpm=73.0 if calm else 88.6,
        rmssd_ms=42.0 if calm else 30.0,
        scl_us=3.2 if calm else 4.1,
        scr_per_min=1.0 if calm else 4.0,
        ppg_quality=0.9,
        eda_quality=0.8,
    )


def _record_session(store: Store, *, with_summary: bool, listener: str | None = "L-1") -> int:
    from appliance.affect.estimate import AffectEstimate

    sid = store.start_session(
        listener, "relax", 600.0, datetime(2026, 5, 1, 9, 0, tzinfo=UTC), consent=bool(listener)
    )
    store.add_decision(
        sid, 0.0, Decision(Recipe(tempo_bpm=70), CALIBRATION_S, "calibration", "c", "r")
    )
    store.add_decision(
        sid,
        CALIBRATION_S,
        Decision(Recipe(tempo_bpm=64), 480, "descend", "d", "r", target_arousal=0.3),
    )
    trace = Trace()
    trace.note_target(0.3)
    for i in range(1, 121):
        t = i * 5.0
        w = _window(t)
        arousal = 0.7 if t < 300 else 0.2  # calm from minute 5
        e = AffectEstimate(t=t, p_stress=0.5, arousal=arousal, confidence=0.9, quality=w.quality)
        store.add_physiology(sid, t, w, e)
        trace.add(t, w, e)
    store.add_event(sid, 400.0, "staff_alert", "heart rate high")
    trace.likes = 2
    summary = {"outcome": outcome_record(trace, CALIBRATION_S)} if with_summary else {}
    store.end_session(sid, "completed", 600.0, summary)
    return sid


@pytest.mark.parametrize("with_summary", [True, False])
def test_outcome_is_the_same_from_the_summary_and_from_the_windows(with_summary) -> None:
    with Store(MEMORY) as store:
        out = session_outcome(store, _record_session(store, with_summary=with_summary))
    assert out.heart_rate.shown_pre == 89.0  # 88.6 shown as 89 everywhere
    assert out.heart_rate.shown_post == 73.0
    assert out.heart_rate.change == -16.0  # the change of the figures shown
    assert out.heart_rate.quality == pytest.approx(0.9)
    assert (out.rmssd.shown_pre, out.rmssd.shown_post) == (30.0, 42.0)
    assert (out.scl.shown_pre, out.scl.shown_post) == (4.1, 3.2)
    assert (out.scr_rate.shown_pre, out.scr_rate.shown_post) == (4.0, 1.0)
    assert out.arousal.shown_post == 0.2
    assert out.time_to_calm_min == 6.0  # minute 5 (300-360 s) is the first whole calm minute
    assert out.alerts == 1
    assert out.likes == (2 if with_summary else 0)  # only the summary counts presses


def test_the_one_rounding_is_half_away_from_zero() -> None:
    assert rounded(88.5, 0) == 89.0  # round() would give 88
    assert rounded(-0.125, 2) == -0.13
    assert rounded(None, 1) is None
    m = Measure(88.6, 74.2, 0.9, 0.8, "bpm", 0)
    assert m.describe() == "89 → 74 bpm (−15, signal quality 0.80)"
    assert Measure(None, 74.2, None, 0.8, "bpm", 0).change is None


def test_outcomes_filter_by_listener_and_local_day() -> None:
    with Store(MEMORY) as store:
        a = _record_session(store, with_summary=True, listener="L-1")
        b = _record_session(store, with_summary=True, listener=None)
        assert [o.session_id for o in session_outcomes(store)] == [a, b]
        assert [o.session_id for o in session_outcomes(store, listener_id="L-1")] == [a]
        assert session_outcomes(store, since=date(2026, 5, 2)) == []
        assert len(session_outcomes(store, since=date(2026, 5, 1), until=date(2026, 5, 1))) == 2
        anonymous = session_outcome(store, b)
    assert anonymous.listener_id is None and anonymous.heart_rate.shown_pre == 89.0
