"""The session store: one SQLite file of health data, safe against power cuts.

Durability: WAL journal + synchronous=FULL, so a committed session record survives a power cut
(the box is often unplugged at the wall). Writes are a few small rows every few seconds, so the
extra fsync per commit costs nothing noticeable, even on an SD card.

Privacy: the file and its -wal/-shm companions are 0600 in a 0700 directory; listeners are
pseudonymous; deleted rows are overwritten (secure_delete) and retention purges old sessions.

Over 300 lines on purpose: every write of the database goes through this one class, so its
locking and transactions are seen in one place (the reads of recorded sessions, rows,
migrations and retention are beside it; the reads run through its locked queries).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from appliance.affect.estimate import AffectEstimate
from appliance.fsutil import ensure_private_dir, ensure_private_file, is_private_dir
from appliance.signals.features import WindowFeatures
from appliance.store import rows
from appliance.store.erasure import count_listener_rows, delete_listener_rows
from appliance.store.migrations import migrate
from appliance.store.openlock import OpenLock
from appliance.store.reads import SessionReads
from appliance.store.retention import interrupt_running_sessions, purge_aged
from appliance.store.rows import DecisionRecord, to_json, to_utc_iso
from appliance.vocabulary import check_listener_id

log = logging.getLogger(__name__)

MEMORY = ":memory:"
BUSY_TIMEOUT_S = 5.0  # a CLI reader and the daemon may touch the file at the same moment


class Store(SessionReads):
    """Listeners, sessions, decisions, physiology and events.

    Opening the store recovers from a crash: sessions still marked 'running' become
    'interrupted' — unless another Store (e.g. the daemon, while a technician runs
    `attune sessions list`) has the same file open, which an advisory lock tells us.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect,
    ) -> None:
        """`read_only` opens an existing file for reading only (a state folder that cannot be
        written: writable.py); `connect` stands in for sqlite3.connect (tests open a
        genuinely read-only connection through it)."""
        self.path = path if str(path) == MEMORY else Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction()
        self._open_lock: OpenLock | None = None
        if self.path != MEMORY and not read_only:
            ensure_private_dir(self.path.parent)
            if not is_private_dir(self.path.parent):
                log.warning(
                    "%s is readable by other users; the database itself is 0600, but make "
                    "the directory 0700 (chmod 700 %s)",
                    self.path.parent,
                    self.path.parent,
                )
            ensure_private_file(self.path)
        # Autocommit mode: transactions are explicit (transaction()), never implied by Python.
        target, uri = str(self.path), False
        if read_only and self.path != MEMORY:
            target, uri = f"{self.path.resolve().as_uri()}?mode=ro", True
        self._conn = connect(
            target,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_S,
            check_same_thread=False,
            uri=uri,
        )
        try:
            self._configure()
            if read_only:
                return  # no migration, no crash recovery: both write
            migrate(self._conn)
            if self.path == MEMORY:
                self.mark_interrupted_sessions()
            else:
                self._open_lock = OpenLock(self.path)
                if self._open_lock.acquire_alone():
                    self.mark_interrupted_sessions()
                self._open_lock.share()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------

    def _configure(self) -> None:
        conn = self._conn
        if self.path != MEMORY and not self.read_only:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"{self.path}: cannot use WAL journal ({mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")  # per connection; off by default in SQLite
        conn.execute("PRAGMA secure_delete = ON")  # purged health data is zeroed, not left

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None  # type: ignore[assignment]
            if self._open_lock is not None:
                self._open_lock.close()
                self._open_lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all; nested uses join the outer one."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise sqlite3.ProgrammingError("the store is closed")
            outermost = self._depth == 0
            # IMMEDIATE takes the write lock up front: no deadlock upgrading a read later.
            conn.execute("BEGIN IMMEDIATE" if outermost else f"SAVEPOINT s{self._depth}")
            self._depth += 1
            try:
                yield conn
            except BaseException:
                self._depth -= 1
                if conn.in_transaction:  # SQLite may have rolled back already (disk full…)
                    if outermost:
                        conn.execute("ROLLBACK")
                    else:
                        conn.execute(f"ROLLBACK TO s{self._depth}")
                        conn.execute(f"RELEASE s{self._depth}")
                raise
            self._depth -= 1
            conn.execute("COMMIT" if outermost else f"RELEASE s{self._depth}")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def probe_write(self) -> None:
        """Write the database header back as it is and commit: raises what a real write would
        (a read-only file system or connection, a full disk), changes nothing."""
        with self.transaction() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute(f"PRAGMA user_version = {version}")

    def integrity_check(self) -> str:
        """'ok', or SQLite's description of the damage."""
        return "; ".join(r[0] for r in self._query("PRAGMA integrity_check"))

    # -- writes --------------------------------------------------------------------------------

    def upsert_listener(self, listener_id: str, profile: dict[str, Any] | None = None) -> None:
        """Create a listener, or replace the profile of an existing one (None keeps it)."""
        check_listener_id(listener_id)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO listeners (id, created, profile) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO NOTHING",
                (listener_id, to_utc_iso(datetime.now(UTC)), "{}"),
            )
            if profile is not None:
                profile_json = to_json(rows.check_profile(profile))
                conn.execute(
                    "UPDATE listeners SET profile = ? WHERE id = ?", (profile_json, listener_id)
                )

    def listener_profile(self, listener_id: str) -> dict[str, Any]:
        found = self._query("SELECT profile FROM listeners WHERE id = ?", (listener_id,))
        if not found:
            raise KeyError(f"no listener {listener_id!r} in the store")
        return json.loads(found[0][0])

    def start_session(
        self,
        listener_id: str | None,
        goal: str,
        planned_s: float,
        wall_start: datetime | None = None,
        *,
        consent: bool = False,
        policy: str | None = None,
        randomised: bool = False,
    ) -> int:
        """Record a new running session and return its id. An unknown listener is created.
        `policy` is what chose the music ('adaptive' or 'u_sequence'), `randomised` whether
        it was drawn at random for the listener's comparison."""
        started = to_utc_iso(wall_start or datetime.now(UTC))
        with self.transaction() as conn:
            if listener_id is not None:
                self.upsert_listener(listener_id)
            cursor = conn.execute(
                "INSERT INTO sessions (listener_id, goal, started_wall, planned_s, status, "
                "consent, policy, randomised) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    listener_id,
                    goal,
                    started,
                    float(planned_s),
                    int(consent),
                    policy,
                    int(randomised),
                ),
            )
            return int(cursor.lastrowid)  # type: ignore[arg-type]

    def add_decision(self, session_id: int, t_s: float, decision: DecisionRecord) -> None:
        with self.transaction() as conn:
            self._require_session(conn, session_id)
            seq = conn.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM decisions WHERE session_id = ?",
                (session_id,),
            ).fetchone()[0]
            conn.execute(rows.DECISION_INSERT, rows.decision_values(session_id, seq, t_s, decision))

    def add_physiology(
        self,
        session_id: int,
        t_s: float,
        features: WindowFeatures,
        estimate: AffectEstimate | None,
    ) -> None:
        values = rows.physiology_values(session_id, t_s, features, estimate)
        with self.transaction() as conn:
            self._require_session(conn, session_id)
            conn.execute(rows.PHYSIOLOGY_INSERT, values)

    def add_event(self, session_id: int, t_s: float, kind: str, detail: str = "") -> None:
        with self.transaction() as conn:
            self._require_session(conn, session_id)
            conn.execute(
                "INSERT INTO events (session_id, t_s, kind, detail) VALUES (?, ?, ?, ?)",
                (session_id, float(t_s), kind, detail),
            )

    def note_progress(self, session_id: int, t_s: float) -> None:
        """A running session is `t_s` in: if the device dies now, that is its duration."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET duration_s = ? WHERE id = ? AND status = 'running'",
                (float(t_s), session_id),
            )

    def end_session(
        self, session_id: int, status: str, duration_s: float, summary: dict[str, Any]
    ) -> None:
        """Close a session. The end wall time is start + duration: the monotonic duration is
        right even when NTP steps the wall clock mid-session (a Pi has no RTC)."""
        if status not in rows.FINAL_STATUSES:
            raise ValueError(f"a session ends as one of {rows.FINAL_STATUSES}, not {status!r}")
        summary_json = to_json(summary)
        with self.transaction() as conn:
            started = rows.from_iso(self._require_session(conn, session_id))
            ended = started + timedelta(seconds=float(duration_s))  # type: ignore[operator]
            conn.execute(
                "UPDATE sessions SET status = ?, duration_s = ?, ended_wall = ?, summary = ? "
                "WHERE id = ?",
                (status, float(duration_s), to_utc_iso(ended), summary_json, session_id),
            )

    def last_session_id(self) -> int:
        """The newest session's id (0 when none): what was recorded before a moment."""
        with self.transaction() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM sessions").fetchone()[0])

    def shift_wall_times(self, after_id: int, seconds: float) -> int:
        """Move the wall times of the sessions after `after_id` by `seconds`: recorded since
        the service started, while the wall clock was off by that much (stepped since, by NTP's
        first sync). Their order and durations stay; retention then ages them rightly. Returns
        how many sessions moved."""
        step = timedelta(seconds=float(seconds))
        with self.transaction() as conn:
            found = conn.execute(
                "SELECT id, started_wall, ended_wall FROM sessions WHERE id > ?", (after_id,)
            ).fetchall()
            for session_id, started, ended in found:
                moved = [
                    to_utc_iso(rows.from_iso(w) + step) if w else None for w in (started, ended)
                ]
                conn.execute(
                    "UPDATE sessions SET started_wall = ?, ended_wall = ? WHERE id = ?",
                    (*moved, session_id),
                )
        return len(found)

    def mark_interrupted_sessions(self) -> int:
        """Sessions left 'running' by a crash or power cut become 'interrupted'.

        Their duration is the last progress they noted, or the last time anything was
        recorded for them, whichever is later.
        """
        with self.transaction() as conn:
            return interrupt_running_sessions(conn)

    def purge_older_than(self, days: int, now_wall: datetime | None = None) -> int:
        """Retention: delete finished sessions started more than `days` ago, with all their
        rows, and listeners left with nothing under their id. A wall clock that cannot be
        trusted purges nothing (retention.purge_aged says when). Returns how many sessions
        were deleted."""
        if days < 0:
            raise ValueError(f"retention must be 0 days or more, not {days}")
        with self.transaction() as conn:
            purge = purge_aged(conn, now_wall or datetime.now(UTC), days)
        if purge.skipped:
            log.warning(
                "retention: nothing purged: %s; purged once the clock is set", purge.skipped
            )
        if purge.redated:
            log.warning(
                "retention: %d session(s) were recorded before the wall clock was set; their "
                "date is unknown, so they are kept %d days from now",
                purge.redated,
                days,
            )
        if purge.deleted and self.path != MEMORY:
            with self._lock:  # move the zeroed pages out of the WAL into the main file now
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return purge.deleted

    def forget_listener(self, listener_id: str) -> dict[str, int]:
        """Erase every row held under the listener's id (erasure.py); the counts deleted."""
        with self.transaction() as conn:
            counts = delete_listener_rows(conn, listener_id)
        if any(counts.values()) and self.path != MEMORY:
            with self._lock:  # as for retention: the zeroed pages leave the WAL now
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    def holds_listener(self, listener_id: str) -> bool:
        """Whether anything is stored under the listener's id."""
        with self._lock:
            return any(count_listener_rows(self._conn, listener_id).values())

    def _require_session(self, conn: sqlite3.Connection, session_id: int) -> str:
        found = conn.execute(
            "SELECT started_wall FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if found is None:
            raise KeyError(f"no session {session_id} in the store")
        return found[0]
