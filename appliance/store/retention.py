"""Crash recovery and retention, as SQL over an open transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

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


def purge_before(conn: sqlite3.Connection, cutoff: datetime) -> int:
    """Delete finished sessions started before `cutoff` (their rows follow by cascade) and
    listeners created before it who have no session left. Call inside a transaction."""
    cutoff_iso = to_utc_iso(cutoff)
    deleted = conn.execute(
        "DELETE FROM sessions WHERE started_wall < ? AND status != 'running'", (cutoff_iso,)
    ).rowcount
    conn.execute(
        "DELETE FROM listeners WHERE created < ? AND NOT EXISTS "
        "(SELECT 1 FROM sessions WHERE sessions.listener_id = listeners.id)",
        (cutoff_iso,),
    )
    return deleted
