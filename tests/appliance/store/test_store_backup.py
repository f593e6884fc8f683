"""`attune db backup|restore|migrate`: SQLite's online backup of a live database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from appliance.store.backup import backup, restore
from appliance.store.db import Store
from appliance.store.migrations import MIGRATIONS

PROJECT = Path(__file__).resolve().parents[3]


def listeners(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM listeners ORDER BY id")]
    finally:
        conn.close()


def test_backup_of_a_live_database_holds_what_sits_in_its_write_ahead_log(tmp_path: Path) -> None:
    db = tmp_path / "state" / "attune.db"
    with Store(db) as store:  # open, as the running service holds it
        store.upsert_listener("L-0001")
        store.upsert_listener("L-0002")
        # The rows sit in the -wal file, not yet checkpointed: a copy of attune.db misses them.
        assert db.with_name("attune.db-wal").stat().st_size > 0
        version = backup(db, tmp_path / "backups" / "attune.db")
    assert version == len(MIGRATIONS)
    assert listeners(tmp_path / "backups" / "attune.db") == ["L-0001", "L-0002"]
    assert (tmp_path / "backups" / "attune.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700


def test_restore_puts_the_backup_back_over_later_rows(tmp_path: Path) -> None:
    db = tmp_path / "attune.db"
    with Store(db) as store:
        store.upsert_listener("L-0001")
    backup(db, tmp_path / "before.db")
    with Store(db) as store:
        store.upsert_listener("L-0002")
    restore(tmp_path / "before.db", db)
    assert listeners(db) == ["L-0001"]


def test_db_command_names_a_missing_backup_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "appliance.cli",
            "db",
            "--db",
            str(tmp_path / "attune.db"),
            "restore",
            str(tmp_path / "nope.db"),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip() == f"attune db restore: {tmp_path / 'nope.db'}: no such database file"
    )
    assert not (tmp_path / "attune.db").exists()
