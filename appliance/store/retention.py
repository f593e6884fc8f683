"""Crash recovery and retention, as SQL over an open transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from appliance.store.rows import from_iso, to_utc_iso

INTERRUPTED_DETAIL = (
    "the session was still running when the device stopped (power cut or crash); "
    "data up to this point is kept"
)


def interrupt_running_sessions(conn: sqlite3.Connection) -> int:
    """Mark sessions left 'running' as 'interrupted'; their duration is the later of the
    progress the session last noted (every few seconds, see Store.note_progress) and the last
    thing recorded for it: physiology windows begin only once a window has filled, so a short
    session may have nothing else. Returns how many. Call inside a transaction."""
    stale = conn.execute(
        "SELECT id, started_wall, duration_s FROM sessions WHERE status = 'running'"
    ).fetchall()
    for session_id, started, noted in stale:
        last_t = conn.execute(
            "SELECT MAX(t) FROM ("
            " SELECT MAX(t_s) AS t FROM physiology WHERE session_id = ?1"
            " UNION ALL SELECT MAX(t_s) FROM events WHERE session_id = ?1"
            " UNION ALL SELECT MAX(t_s) FROM decisions WHERE session_id = ?1)",
            (session_id,),
        ).fetchone()[0]
        duration = max(float(last_t or 0.0), float(noted or 0.0))
        ended = from_iso(started) + timedelta(seconds=duration)  # type: ignore[operator]
        conn.execute(
            "UPDATE sessions SET status = 'interrupted', duration_s = ?, ended_wall = ? "
            "WHERE id = ?",
            (duration, to_utc_iso(ended), session_id),
        )
        conn.execute(
            "INSERT INTO events (session_id, t_s, kind, detail) VALUES (?, ?, 'interrupted', ?)",
            (session_id, duration, INTERRUPTED_DETAIL),
        )
    return len(stale)


@dataclass(frozen=True)
class Purge:
    """What one retention purge did, or why it did nothing."""

    deleted: int = 0
    skipped: str = ""  # why the wall clock was not trusted; "" when the purge ran
    redated: int = 0  # sessions stamped before SANE_EPOCH, now dated at this purge


# A Pi has no real-time clock: until NTP syncs, its wall clock may read 1970 (or the last saved
# time). Nothing can truly have been recorded before the year this software was first built.
SANE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
REDATED_DETAIL = (
    "recorded while the wall clock was not set (it read {stamp}); its real date is unknown, "
    "so retention counts its age from {now}, the first purge with a set clock"
)
# Sessions are the records retention is about; their start is stamped when they begin.
_NEWEST = "SELECT MAX(started_wall) FROM sessions WHERE started_wall >= ?"


def purge_aged(conn: sqlite3.Connection, now_wall: datetime, days: int) -> Purge:
    """Retention that survives wall-clock jumps. Call inside a transaction.

    - A clock before SANE_EPOCH, or behind the newest session's start, is wrong (or the records
      are from a wrong future): nothing is purged, until a later purge with a clock that is.
    - The cut-off is `days` before a trusted clock. Retention is a privacy promise: a box
      switched off for longer than the period, whose clock NTP then sets right, really does
      hold sessions that old, and they go. What a forward jump must not take with them, the
      learning state and the quarantine, stays (below).
    - Sessions stamped before SANE_EPOCH are of unknown date: dated now, with an event
      keeping their stamp, so they age out a retention period from the first sane purge.
    - Only sessions go, and listeners with nothing left under their id: the learning state
      and the quarantine stay (the quarantine is a safety record).
    """
    epoch_iso, now_iso = to_utc_iso(SANE_EPOCH), to_utc_iso(now_wall)
    if now_wall < SANE_EPOCH:
        return Purge(skipped=f"the wall clock reads {now_iso}, before {epoch_iso}: not set yet")
    newest = conn.execute(_NEWEST, (epoch_iso,)).fetchone()[0]
    if newest is not None and newest > now_iso:
        return Purge(skipped=f"the wall clock reads {now_iso}, behind the newest record {newest}")
    redated = _date_unknown_sessions(conn, now_wall)
    return Purge(deleted=purge_before(conn, now_wall - timedelta(days=days)), redated=redated)


def _date_unknown_sessions(conn: sqlite3.Connection, now_wall: datetime) -> int:
    stale = conn.execute(
        "SELECT id, started_wall, duration_s FROM sessions WHERE started_wall < ?",
        (to_utc_iso(SANE_EPOCH),),
    ).fetchall()
    now_iso = to_utc_iso(now_wall)
    for session_id, stamp, duration in stale:
        ended = now_wall + timedelta(seconds=float(duration or 0.0))
        conn.execute(
            "UPDATE sessions SET started_wall = ?, ended_wall = CASE WHEN ended_wall IS NULL "
            "THEN NULL ELSE ? END WHERE id = ?",
            (now_iso, to_utc_iso(ended), session_id),
        )
        conn.execute(
            "INSERT INTO events (session_id, t_s, kind, detail) VALUES (?, 0, 'redated', ?)",
            (session_id, REDATED_DETAIL.format(stamp=stamp, now=now_iso)),
        )
    return len(stale)


def purge_before(conn: sqlite3.Connection, cutoff: datetime) -> int:
    """Delete finished sessions started before `cutoff` (their rows follow by cascade) and
    listeners created before it who have nothing left: no session, no learning state, nothing
    quarantined. Call inside a transaction."""
    cutoff_iso = to_utc_iso(cutoff)
    deleted = conn.execute(
        "DELETE FROM sessions WHERE started_wall < ? AND status != 'running'", (cutoff_iso,)
    ).rowcount
    conn.execute(
        "DELETE FROM listeners WHERE created < ?"
        " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.listener_id = listeners.id)"
        " AND NOT EXISTS (SELECT 1 FROM learning_state l WHERE l.listener_id = listeners.id)"
        " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.listener_id = listeners.id)",
        (cutoff_iso,),
    )
    return deleted
