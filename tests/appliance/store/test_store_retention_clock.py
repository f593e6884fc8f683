"""Retention across wall-clock jumps: a Pi has no real-time clock, and NTP steps it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store
from appliance.store.retention import SANE_EPOCH

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 30


def _session(store: Store, started: datetime, listener: str | None = None) -> int:
    sid = store.start_session(listener, "relax", 600, started)
    store.add_event(sid, 1.0, "button")
    store.end_session(sid, "completed", 600, {})
    return sid


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "state" / "attune.db") as opened:
        yield opened


def _ids(store: Store) -> set[int]:
    return {s.id for s in store.sessions()}


@pytest.mark.parametrize("jump_days", [1, -1])
def test_a_day_of_clock_step_around_a_purge_loses_nothing_within_retention(
    store: Store, jump_days: int, caplog
) -> None:
    aged = _session(store, NOW - timedelta(days=DAYS + 5))
    kept = [_session(store, NOW - timedelta(days=d)) for d in (DAYS - 2, 10, 0)]
    caplog.set_level(logging.WARNING)
    deleted = store.purge_older_than(DAYS, now_wall=NOW + timedelta(days=jump_days))
    if jump_days > 0:
        assert deleted == 1 and _ids(store) == set(kept)  # the cut-off is the newest session's
    else:
        # Behind the newest session's start: the clock is wrong; nothing purged, and said so.
        assert deleted == 0 and _ids(store) == {aged, *kept}
        assert "behind the newest record" in caplog.text
        assert store.purge_older_than(DAYS, now_wall=NOW) == 1  # once the clock is right
        assert _ids(store) == set(kept)


def test_a_400_day_jump_keeps_the_learning_and_the_quarantine(store: Store) -> None:
    sessions = [_session(store, NOW - timedelta(days=d)) for d in (DAYS + 1, DAYS - 1, 3, 0)]
    learning = LearningStore(store)
    learning.save_state("L-1", "ts", {"arms": [1, 2]})
    learning.quarantine("L-2", "track-7", reason="distress")

    # NTP sets a box that was off for 400 days: its sessions really are that old, and go.
    assert store.purge_older_than(DAYS, now_wall=NOW + timedelta(days=400)) == len(sessions)
    assert _ids(store) == set()
    # Learning state and quarantine belong to listeners, not to sessions: a purge keeps them.
    assert learning.load_state("L-1", "ts") == {"arms": [1, 2]}
    assert learning.quarantined("L-2") == {"track-7"}


def test_sessions_recorded_at_1970_are_kept_until_the_clock_is_set(store: Store, caplog) -> None:
    caplog.set_level(logging.WARNING)
    aged = _session(store, NOW - timedelta(days=DAYS + 10))
    recent = _session(store, NOW - timedelta(days=2))
    boot = datetime(1970, 1, 1, 0, 5, tzinfo=UTC)  # a Pi without RTC before NTP
    unset = [_session(store, boot), _session(store, boot + timedelta(minutes=20), "L-1")]

    # The service starts at 1970: the purge does nothing and says why.
    assert store.purge_older_than(DAYS, now_wall=boot + timedelta(minutes=30)) == 0
    assert "before 2024" in caplog.text and "not set yet" in caplog.text
    assert _ids(store) == {aged, recent, *unset}

    # NTP syncs; the next purge: what truly aged goes, the 1970 sessions are dated now.
    assert store.purge_older_than(DAYS, now_wall=NOW) == 1
    assert _ids(store) == {recent, *unset}
    assert "recorded before the wall clock was set" in caplog.text
    for sid in unset:
        row = store.session(sid)
        assert row.started_wall >= SANE_EPOCH and row.ended_wall >= row.started_wall
        assert [e["kind"] for e in store.events(sid)] == ["redated", "button"]
        assert "1970-01-01" in store.events(sid)[0]["detail"]
    # They age from that purge on, as the others do.
    later = _session(store, NOW + timedelta(days=DAYS + 1))
    assert store.purge_older_than(DAYS, now_wall=NOW + timedelta(days=DAYS + 1)) == 3
    assert _ids(store) == {later}
