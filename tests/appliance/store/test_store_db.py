"""The SQLite store: durability, privacy, round trips, recovery after a crash, retention."""

from __future__ import annotations

import math
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.sequencer.decision import Decision
from appliance.signals.features import WindowFeatures
from appliance.store.db import Store

PROJECT_ROOT = Path(__file__).resolve().parents[3]
START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _raw(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the file with a connection of its own, as another process would."""
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _decision(tempo: float = 66.0, phase: str = "descend", **kw: object) -> Decision:
    recipe = Recipe(tempo_bpm=tempo, key="F", mode="major", density=0.3, instrument="harp")
    return Decision(recipe=recipe, duration_s=120.0, phase=phase, rule="arc.descend",
                    reason="arousal above target: slower", **kw)  # fmt: skip


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "attune.db"


def test_store_creates_private_directory_and_files(db_path: Path) -> None:
    with Store(db_path) as store:
        store.start_session("L-1", "relax", 1200, START)
        assert _mode(db_path.parent) == 0o700
        for suffix in ("", "-wal", "-shm", ".lock"):
            companion = db_path.with_name(db_path.name + suffix)
            assert _mode(companion) == 0o600, companion.name
        assert db_path.parent.stat().st_uid == os.geteuid()


def test_existing_loose_database_file_is_tightened(db_path: Path) -> None:
    Store(db_path).close()
    db_path.chmod(0o644)
    Store(db_path).close()
    assert _mode(db_path) == 0o600


def test_store_uses_wal_and_survives_reopen(db_path: Path) -> None:
    with Store(db_path) as store:
        store.upsert_listener("L-7", {"likes": ["harp"], "volume_db": -3})
        sid = store.start_session("L-7", "sleep", 900, START)
        store.end_session(sid, "completed", 900.0, {"hr_change_bpm": -6.5})
    assert _raw(db_path, "PRAGMA journal_mode") == [("wal",)]
    with Store(db_path) as store:
        assert store.listener_profile("L-7") == {"likes": ["harp"], "volume_db": -3}
        row = store.session(sid)
        assert (row.status, row.goal, row.summary) == (
            "completed",
            "sleep",
            {"hr_change_bpm": -6.5},
        )
        assert store.integrity_check() == "ok"


def test_decisions_round_trip(tmp_path: Path) -> None:
    with Store(":memory:") as store:
        sid = store.start_session("L-1", "relax", 1200, START)
        first = _decision(72.0, "iso", target_arousal=math.nan)
        second = _decision(60.0, "descend", probability=0.42, target_arousal=0.4, alert="staff")
        store.add_decision(sid, 0.0, first)
        store.add_decision(sid, 120.0, second)
        got = store.decisions(sid)
    assert [d["seq"] for d in got] == [0, 1]
    assert [d["tempo_bpm"] for d in got] == [72.0, 60.0]
    assert got[0]["target_arousal"] is None  # NaN stored as NULL
    assert got[1]["probability"] == pytest.approx(0.42)
    assert got[1]["alert"] == "staff"
    assert Recipe(**got[1]["recipe"]) == second.recipe
    assert (got[1]["phase"], got[1]["rule"], got[1]["reason"]) == (
        "descend",
        "arc.descend",
        "arousal above target: slower",
    )


def test_physiology_round_trip_stores_nan_as_null(db_path: Path) -> None:
    features = WindowFeatures(
        t_end=1234.5, window_s=60, hr_bpm=72.5, rmssd_ms=math.nan, sdnn_ms=41.0,
        scl_us=5.25, scr_per_min=math.inf, ppg_quality=0.9, eda_quality=0.6,
    )  # fmt: skip
    estimate = AffectEstimate(t=1234.5, p_stress=0.2, arousal=0.3, confidence=0.7, quality=0.81)
    with Store(db_path) as store:
        sid = store.start_session("L-1", "relax", 1200, START)
        store.add_physiology(sid, 65.0, features, estimate)
        store.add_physiology(sid, 70.0, WindowFeatures(t_end=1239.5, window_s=60), None)
        rows = store.physiology(sid)
    first, second = rows
    assert first["t_s"] == 65.0
    assert first["hr_bpm"] == 72.5 and first["scl_us"] == 5.25
    assert first["rmssd_ms"] is None and first["scr_per_min"] is None
    assert first["quality"] == pytest.approx(features.quality)
    assert (first["arousal"], first["p_stress"], first["label"]) == (0.3, 0.2, "calm")
    assert second["hr_bpm"] is None and second["arousal"] is None and second["label"] is None
    kinds = _raw(db_path, "SELECT typeof(rmssd_ms), typeof(hr_bpm) FROM physiology ORDER BY t_s")
    assert kinds == [("null", "real"), ("null", "null")]


def test_end_session_records_status_duration_and_summary() -> None:
    with Store(":memory:") as store:
        sid = store.start_session(None, "relax", 1200, START)
        assert store.session(sid).status == "running"
        summary = {"hr_change_bpm": np.float64(-7.5), "arousal_change": math.nan, "n": np.int64(3)}
        store.end_session(sid, "stopped", 600.0, summary)
        row = store.session(sid)
    assert (row.status, row.duration_s, row.listener_id) == ("stopped", 600.0, None)
    assert row.ended_wall == START + timedelta(seconds=600)
    assert row.summary == {"hr_change_bpm": -7.5, "arousal_change": None, "n": 3}


def test_end_session_rejects_running_status_and_unknown_session() -> None:
    with Store(":memory:") as store:
        sid = store.start_session("L-1", "relax", 1200, START)
        with pytest.raises(ValueError, match="completed"):
            store.end_session(sid, "running", 10.0, {})
        with pytest.raises(KeyError, match="no session 999"):
            store.end_session(999, "completed", 10.0, {})
        with pytest.raises(KeyError, match="no session 999"):
            store.session(999)
        with pytest.raises(KeyError):
            store.add_event(999, 1.0, "alert")


def test_listener_ids_and_profiles_stay_pseudonymous() -> None:
    with Store(":memory:") as store:
        with pytest.raises(ValueError, match="pseudonymous"):
            store.upsert_listener("Mary Jones")
        with pytest.raises(ValueError, match="identify"):
            store.upsert_listener("L-3", {"Name": "Mary", "likes": ["piano"]})
        store.upsert_listener("L-3", {"likes": ["piano"]})
        store.upsert_listener("L-3")  # no profile: keeps the existing one
        assert store.listener_profile("L-3") == {"likes": ["piano"]}


def test_sessions_filter_by_listener_in_start_order() -> None:
    with Store(":memory:") as store:
        later = store.start_session("L-1", "relax", 1200, START + timedelta(days=1))
        earlier = store.start_session("L-1", "sleep", 900, START)
        other = store.start_session("L-2", "relax", 1200, START)
        assert [s.id for s in store.sessions("L-1")] == [earlier, later]
        assert {s.id for s in store.sessions()} == {earlier, later, other}


def test_failed_transaction_leaves_no_partial_rows() -> None:
    with Store(":memory:") as store:
        sid = store.start_session("L-1", "relax", 1200, START)
        with pytest.raises(RuntimeError), store.transaction():
            store.add_event(sid, 1.0, "button", "press")
            store.add_decision(sid, 1.0, _decision())
            raise RuntimeError("power lost half way")
        assert store.events(sid) == [] and store.decisions(sid) == []
        with store.transaction():  # a failed inner block rolls back only itself
            store.add_event(sid, 2.0, "kept")
            with pytest.raises(RuntimeError), store.transaction():
                store.add_event(sid, 3.0, "dropped")
                raise RuntimeError
        assert [e["kind"] for e in store.events(sid)] == ["kept"]


def _run_child(db_path: Path, body: str) -> None:
    """Run `body` in a fresh interpreter that dies with os._exit, like a power cut."""
    script = textwrap.dedent(
        f"""
        import os
        from datetime import UTC, datetime
        from pathlib import Path
        from appliance.store.db import Store
        store = Store(Path({str(db_path)!r}))
        sid = store.start_session("L-1", "relax", 1200, datetime(2024, 5, 1, tzinfo=UTC))
        """
    ) + textwrap.dedent(body)
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=False)
    assert result.returncode == 9


def test_process_killed_mid_transaction_loses_only_the_open_transaction(db_path: Path) -> None:
    _run_child(
        db_path,
        """
        store.add_event(sid, 5.0, "committed")
        with store.transaction():
            store.add_event(sid, 6.0, "in_flight")
            store.add_event(sid, 7.0, "in_flight")
            os._exit(9)
        """,
    )
    with Store(db_path) as store:  # reopening recovers the running session
        (session,) = store.sessions()
        assert session.status == "interrupted"
        assert session.duration_s == 5.0  # the last thing committed
        assert [e["kind"] for e in store.events(session.id)] == ["committed", "interrupted"]
        assert store.integrity_check() == "ok"


def test_running_session_becomes_interrupted_on_reopen(db_path: Path) -> None:
    store = Store(db_path)
    sid = store.start_session("L-1", "relax", 1200, START)
    store.add_physiology(sid, 300.0, WindowFeatures(t_end=1.0, window_s=60, hr_bpm=70), None)
    store._conn.close()  # vanish without ending the session, as a crash would
    store._open_lock.close()
    with Store(db_path) as reopened:
        row = reopened.session(sid)
        assert row.status == "interrupted"
        assert row.duration_s == 300.0
        assert row.ended_wall == START + timedelta(seconds=300)
        assert reopened.mark_interrupted_sessions() == 0  # nothing left running


def test_second_open_does_not_interrupt_a_live_session(db_path: Path) -> None:
    with Store(db_path) as daemon:
        sid = daemon.start_session("L-1", "relax", 1200, START)
        with Store(db_path) as cli:  # e.g. `attune sessions list` during a session
            assert cli.session(sid).status == "running"
        daemon.add_event(sid, 10.0, "button")
        assert daemon.session(sid).status == "running"
    with Store(db_path) as after:
        assert after.session(sid).status == "interrupted"


def test_purge_deletes_old_sessions_with_their_rows(db_path: Path) -> None:
    now = START + timedelta(days=400)
    with Store(db_path) as store:
        old = store.start_session("L-old", "relax", 1200, START)
        store.add_decision(old, 0.0, _decision())
        store.add_physiology(old, 60.0, WindowFeatures(t_end=60, window_s=60, hr_bpm=80), None)
        store.add_event(old, 60.0, "alert", "HR high")
        store.end_session(old, "completed", 1200, {})
        recent = store.start_session("L-new", "relax", 1200, now - timedelta(days=10))
        store.add_event(recent, 1.0, "button")
        store.end_session(recent, "completed", 1200, {})
        still_running = store.start_session("L-run", "relax", 1200, START)

        assert store.purge_older_than(365, now_wall=now) == 1
        assert {s.id for s in store.sessions()} == {recent, still_running}
        assert store.decisions(old) == [] and store.physiology(old) == []
        assert store.events(old) == []
        assert [e["kind"] for e in store.events(recent)] == ["button"]
        # Listeners are created at the real wall time, so a cut-off in the future reaches them:
        # those left without sessions go, the one with a running session stays. The cut-off
        # is bounded by the newest session, so one is recorded a month ahead.
        later = datetime.now(UTC) + timedelta(days=30)
        ahead = store.start_session(None, "relax", 60, later)
        store.end_session(ahead, "completed", 60, {})
        store.purge_older_than(1, now_wall=later)
        assert [s.id for s in store.sessions()] == [still_running, ahead]
    for table in ("decisions", "physiology", "events"):
        orphans = _raw(db_path, f"SELECT COUNT(*) FROM {table} WHERE session_id = ?", (old,))
        assert orphans == [(0,)], table
    assert _raw(db_path, "SELECT id FROM listeners") == [("L-run",)]


def test_purge_rejects_negative_retention() -> None:
    with Store(":memory:") as store, pytest.raises(ValueError):
        store.purge_older_than(-1)


def test_purged_data_is_gone_from_the_file_not_just_unlinked(db_path: Path) -> None:
    marker = "distinctive-detail-5f3a9c"
    with Store(db_path) as store:
        sid = store.start_session("L-1", "relax", 1200, START)
        store.add_event(sid, 1.0, "note", marker)
        store.end_session(sid, "completed", 60, {})
        store.start_session(None, "relax", 60, START + timedelta(days=31))  # the newest
        store.purge_older_than(30, now_wall=START + timedelta(days=31))
        on_disk = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())
    assert marker.encode() not in on_disk
