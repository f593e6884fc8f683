"""Schema migrations: from empty to current, one transaction each, refusing newer databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from appliance.store.db import Store
from appliance.store.migrations import (
    MIGRATIONS,
    MigrationError,
    SchemaTooNewError,
    migrate,
    schema_version,
)

TABLES = {"listeners", "sessions", "decisions", "physiology", "events"}


def _connect(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_empty_database_migrates_to_current_version() -> None:
    conn = _connect(":memory:")
    assert schema_version(conn) == 0
    assert migrate(conn) == len(MIGRATIONS)
    assert schema_version(conn) == len(MIGRATIONS)
    assert _tables(conn) >= TABLES


def test_migrating_twice_changes_nothing() -> None:
    conn = _connect(":memory:")
    migrate(conn)
    conn.execute("INSERT INTO listeners (id, created) VALUES ('L-1', '2024-01-01T00:00:00+00:00')")
    assert migrate(conn) == len(MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM listeners").fetchone()[0] == 1


def test_only_missing_migrations_run(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "a.db")
    migrate(conn, MIGRATIONS)
    later = (*MIGRATIONS, "CREATE TABLE bandit_state (arm TEXT PRIMARY KEY, alpha REAL);")
    assert migrate(conn, later) == len(MIGRATIONS) + 1
    assert "bandit_state" in _tables(conn)


def test_failed_migration_leaves_previous_version_intact(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "a.db")
    migrate(conn)
    broken = (*MIGRATIONS, "CREATE TABLE half_done (a INTEGER);\nCREATE TABLE oops (;")
    with pytest.raises(MigrationError, match=f"unchanged at version {len(MIGRATIONS)}"):
        migrate(conn, broken)
    assert schema_version(conn) == len(MIGRATIONS)
    assert "half_done" not in _tables(conn)  # the first statement was rolled back too
    assert not conn.in_transaction


def test_database_newer_than_the_code_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state" / "attune.db"
    Store(path).close()
    conn = _connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="upgrade Attune"):
        Store(path)


def test_version_3_lets_a_session_fail_and_keeps_every_row_of_a_version_2_database(
    tmp_path: Path,
) -> None:
    conn = _connect(tmp_path / "v2.db")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, MIGRATIONS[:2])
    conn.execute("INSERT INTO listeners (id, created) VALUES ('L-1', '2024-01-01T00:00:00Z')")
    conn.execute(
        "INSERT INTO sessions (id, listener_id, goal, started_wall, planned_s, status) "
        "VALUES (7, 'L-1', 'relax', '2024-01-01T10:00:00Z', 600, 'completed')"
    )
    conn.execute("INSERT INTO events (session_id, t_s, kind) VALUES (7, 1.0, 'staff_alert')")
    assert migrate(conn) == len(MIGRATIONS)
    # The rebuild dropped the old table without cascading into the rows that refer to it.
    assert conn.execute("SELECT session_id, kind FROM events").fetchall() == [(7, "staff_alert")]
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.execute("UPDATE sessions SET status = 'failed' WHERE id = 7")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE sessions SET status = 'exploded' WHERE id = 7")
    conn.execute("DELETE FROM sessions WHERE id = 7")  # the cascade still works afterwards
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_version_4_adds_assessments_and_the_sessions_policy_keeping_older_rows(
    tmp_path: Path,
) -> None:
    conn = _connect(tmp_path / "v3.db")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, MIGRATIONS[:3])
    conn.execute("INSERT INTO listeners (id, created) VALUES ('L-1', '2024-01-01T00:00:00Z')")
    conn.execute(
        "INSERT INTO sessions (id, listener_id, goal, started_wall, planned_s, status) "
        "VALUES (7, 'L-1', 'relax', '2024-01-01T10:00:00Z', 600, 'completed')"
    )
    assert migrate(conn) == len(MIGRATIONS)
    # A session from before the comparison existed: no policy, not randomised.
    assert conn.execute("SELECT policy, randomised FROM sessions WHERE id = 7").fetchone() == (
        None,
        0,
    )
    conn.execute("UPDATE sessions SET policy = 'u_sequence', randomised = 1 WHERE id = 7")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE sessions SET policy = 'bandit' WHERE id = 7")
    conn.execute(
        "INSERT INTO assessments (listener_id, scale, score, assessed_on, recorded_wall) "
        "VALUES ('L-1', 'gad7', 9, '2024-01-02', '2024-01-02T09:00:00Z')"
    )
    conn.execute("DELETE FROM listeners WHERE id = 'L-1'")  # erasure takes the scores too
    assert conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 0
