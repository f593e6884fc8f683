"""Stored sessions with a known outcome, for the outcome, export and CLI tests.

The listener's heart rate is 88.6 bpm over the resting minutes and 73 at the end; RMSSD 30 → 42
ms, skin conductance 4.1 → 3.2 µS, 4 → 1 responses a minute; the arousal estimate falls below
the arc's target (0.3) from minute 5. Recorded the way a session records itself: windows and
decisions through the store, the summary's outcome through the session's own Trace.
"""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.sequencer.decision import Decision
from appliance.session.summary import Trace, outcome_record
from appliance.signals.features import WindowFeatures
from appliance.store.db import Store

CALIBRATION_S = 120.0
START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def window(t: float) -> WindowFeatures:
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


def record_session(
    store: Store,
    *,
    with_summary: bool = True,
    listener: str | None = "L-1",
    start: datetime = START,
) -> int:
    """A finished 10-minute relax session; `listener` None: a session without consent, which
    keeps its summary only (what the session's consent filter lets through)."""
    consent = listener is not None
    sid = store.start_session(listener, "relax", 600.0, start, consent=consent)
    trace = Trace()
    decisions = (
        (0.0, Decision(Recipe(tempo_bpm=70), CALIBRATION_S, "calibration", "c", "r")),
        (
            CALIBRATION_S,
            Decision(Recipe(tempo_bpm=64), 480, "descend", "d", "r", target_arousal=0.3),
        ),
    )
    for t, decision in decisions:
        trace.note_target(decision.target_arousal)
        if consent:
            store.add_decision(sid, t, decision)
    for i in range(1, 121):
        t = i * 5.0
        w = window(t)
        arousal = 0.7 if t < 300 else 0.2  # calm from minute 5
        e = AffectEstimate(t=t, p_stress=0.5, arousal=arousal, confidence=0.9, quality=w.quality)
        if consent:
            store.add_physiology(sid, t, w, e)
        trace.add(t, w, e)
    store.add_event(sid, 400.0, "staff_alert", "heart rate high")  # a device event: always kept
    trace.likes = 2
    summary = {"outcome": outcome_record(trace, CALIBRATION_S)} if with_summary else {}
    store.end_session(sid, "completed", 600.0, summary)
    return sid
