"""Database backups for upgrades: SQLite's online backup API, never a file copy.

A copy of the file taken while the service writes may catch a page half updated, or miss what
still sits in the write-ahead log; the backup API copies a consistent snapshot page by page
under SQLite's own locking. A restore goes the same way, into the database file in place, so
that no stale -wal or -shm file is left beside it to be replayed over the restored pages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from appliance.fsutil import ensure_private_dir, ensure_private_file, fsync_directory
from appliance.store.db import Store
from appliance.store.migrations import schema_version


class BackupError(Exception):
    """A backup or restore could not be made; the message names the file and why."""


def _copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    ensure_private_file(target)  # health data: 0600 from the start, like the database itself
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source} → {target}: {exc}") from exc
    fsync_directory(target.parent)


def backup(db: Path, dest: Path) -> int:
    """Copy the database `db` (live or not) to `dest`, replaced if there; returns its schema
    version. The copy is written beside `dest` and renamed over it: a power cut leaves either
    the old backup or the new one, never half of one."""
    ensure_private_dir(dest.parent)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    _copy(db, partial)
    version = _version(partial)
    partial.replace(dest)
    fsync_directory(dest.parent)
    return version


def restore(source: Path, db: Path) -> int:
    """Put the backup `source` back as the database `db` (the service stopped); returns the
    schema version restored."""
    _copy(source, db)
    return _version(db)


def _version(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return schema_version(conn)
    finally:
        conn.close()


def migrate(db: Path) -> int:
    """Bring the database to this release's schema (what the service would do at its start,
    done while the upgrade waits, so a failing migration stops the upgrade); returns the
    schema version."""
    with Store(db):  # opening migrates, one transaction per step
        pass
    return _version(db)
