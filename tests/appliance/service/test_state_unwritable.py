"""A state folder that cannot be written (ext4 remounts read-only after SD-card errors; a full
card): the service starts, plays, records nothing, says so once, and loses nothing kept.

Tests run as root, where chmod does not stop a write: the database is opened through a
genuinely read-only SQLite connection (`mode=ro`) instead, so the real writes fail as they do
on a read-only mount ("attempt to write a readonly database").
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.service.health import Level
from appliance.service.state import State
from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store
from appliance.store.writable import unwritable
from tests.appliance.service.service_harness import Harness


def read_only_connect(database: str, **kwargs) -> sqlite3.Connection:
    if not str(database).startswith("file:"):
        database = f"{Path(database).resolve().as_uri()}?mode=ro"
    kwargs["uri"] = True
    return sqlite3.connect(database, **kwargs)


def _kept(path: Path) -> tuple:
    with Store(path) as store:
        learning = LearningStore(store)
        return (
            [(s.id, s.status, s.duration_s) for s in store.sessions() if s.status != "running"],
            [store.events(s.id) for s in store.sessions()],
            learning.load_state("L-1", "ts"),
            learning.quarantined("L-1"),
        )


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """A state folder holding a finished session, learning, a quarantine and a session that
    was still running when the card went read-only."""
    path = tmp_path / "state" / "attune.db"
    with Store(path) as store:
        done = store.start_session("L-1", "relax", 600, datetime.now(UTC) - timedelta(days=1))
        store.add_event(done, 3.0, "button")
        store.end_session(done, "completed", 600, {})
        LearningStore(store).save_state("L-1", "ts", {"arms": [1]})
        LearningStore(store).quarantine("L-1", "track-7", reason="distress")
        store.start_session(None, "relax", 600, datetime.now(UTC))
    return path


def test_a_read_only_state_folder_plays_unrecorded_and_loses_nothing(
    tmp_path: Path, committed: Path, caplog
) -> None:
    before = _kept(committed)
    caplog.set_level(logging.INFO)
    h = Harness(tmp_path, connect_db=read_only_connect)
    try:
        h.service.start()  # before: sqlite3.OperationalError out of start-up, every restart
        assert h.service.state is State.IDLE
        store_health = h.service.health.get("store")
        assert store_health.level is Level.DOWN
        ready = next(m for m in h.messages() if m.startswith("READY=1"))
        assert "store down" in ready and "NOT RECORDING" in ready
        told = [r for r in caplog.records if str(committed.parent) in r.getMessage()]
        assert len(told) == 1 and "restart attune" in told[0].getMessage()
        assert "readonly database" in told[0].getMessage()
        h.run(1.0)
        assert h.service.controls.leds.current == "error"
        assert {float(s.state) for s in h.led.states[-4:]} == {0.0, 1.0}  # the 2 Hz blink

        h.tap()  # the music still plays for the listener
        assert h.service.state is State.SESSION
        session = h.service.running.session
        h.until(lambda: (session.status.segment or 0) >= 1, "the first segment")
        # A press this soon after READY may wait for the warm-up's imports: audio follows.
        h.until(lambda: h.service.sink.last_write is not None, "the first audio")
        assert any("NOT RECORDED" in r.getMessage() for r in caplog.records)
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        assert h.service.last_result.status == "stopped"
        h.run(0.2)
        assert h.service.controls.leds.current == "error"
    finally:
        h.close()
    assert _kept(committed) == before  # nothing committed is lost, nothing new recorded


def test_the_folder_failing_after_start_up_is_noticed_at_the_next_session(
    tmp_path: Path, committed: Path
) -> None:
    h = Harness(tmp_path)
    try:
        h.service.start()
        assert h.service.health.get("store").level is Level.OK
        appliance = h.service.appliance
        appliance.store.close()  # the card is remounted read-only under the running service
        appliance.store = Store(committed, read_only=True)
        h.tap()
        assert h.service.state is State.SESSION
        assert h.service.health.get("store").level is Level.DOWN
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        assert h.service.last_result.status == "stopped"
    finally:
        h.close()


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_what_counts_as_a_folder_that_cannot_be_written(code: int) -> None:
    assert unwritable(OSError(code, "x"))
    assert not unwritable(OSError(errno.ENOENT, "x"))
    assert not unwritable(ValueError("x"))
