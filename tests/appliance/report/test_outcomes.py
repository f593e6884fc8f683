"""The per-session outcome: one definition, read from the summary a session records or, for an
older session, computed from its stored windows by the same definition."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from outcome_sessions import record_session

from appliance.report.outcomes import (
    MEASURE_NAMES,
    Measure,
    SessionOutcome,
    rounded,
    session_outcome,
    session_outcomes,
)
from appliance.report.words import headline
from appliance.store.db import MEMORY, Store


@pytest.mark.parametrize("with_summary", [True, False])
def test_outcome_is_the_same_from_the_summary_and_from_the_windows(with_summary) -> None:
    with Store(MEMORY) as store:
        out = session_outcome(store, record_session(store, with_summary=with_summary))
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
        a = record_session(store, with_summary=True, listener="L-1")
        b = record_session(store, with_summary=True, listener=None)
        assert [o.session_id for o in session_outcomes(store)] == [a, b]
        assert [o.session_id for o in session_outcomes(store, listener_id="L-1")] == [a]
        assert session_outcomes(store, since=date(2026, 5, 2)) == []
        assert len(session_outcomes(store, since=date(2026, 5, 1), until=date(2026, 5, 1))) == 2
        anonymous = session_outcome(store, b)
    assert anonymous.listener_id is None and anonymous.heart_rate.shown_pre == 89.0


def _outcome(**measures: Measure) -> SessionOutcome:
    empty = Measure(None, None, None, None, "")
    fields = {name: measures.get(name, empty) for name in MEASURE_NAMES}
    return SessionOutcome(1, "L-1", datetime(2026, 5, 1, 9, tzinfo=UTC), 600.0, "completed",
                          "relax", True, **fields, time_to_calm_min=None, likes=0, stops=0,
                          distress=0, alerts=0)  # fmt: skip


def test_the_headline_says_what_is_missing_and_names_the_arrival() -> None:
    assert headline(_outcome()) == (
        "Heart rate: no usable pulse signal   ·   Arousal: no usable estimate"
    )
    line = headline(
        _outcome(
            heart_rate=Measure(88.0, 73.0, 1.0, 1.0, "bpm", 0),
            arousal=Measure(0.36, 0.18, 1.0, 0.9, "", 2),
        ),
        0.74,
    )
    assert line == (
        "Heart rate 88 → 73 bpm (−15, signal quality 1.00)   ·   "
        "Arousal 0.36 → 0.18 (−0.18, signal quality 0.90)   ·   on arrival 0.74"
    )
