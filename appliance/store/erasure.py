"""Erasure: every row the store holds under one listener's id, as SQL over a transaction.

Sessions take their physiology, decisions and events with them (ON DELETE CASCADE); the
learning state, the quarantine and the listener's row are deleted by name. The counts are
taken first, so the technician is told what went.
"""

from __future__ import annotations

import sqlite3

# What is counted, in the order it is reported: (label, SQL counting it for ?1 = the id).
COUNTS = (
    ("sessions", "SELECT COUNT(*) FROM sessions WHERE listener_id = ?1"),
    (
        "physiology rows",
        "SELECT COUNT(*) FROM physiology WHERE session_id IN "
        "(SELECT id FROM sessions WHERE listener_id = ?1)",
    ),
    (
        "decisions",
        "SELECT COUNT(*) FROM decisions WHERE session_id IN "
        "(SELECT id FROM sessions WHERE listener_id = ?1)",
    ),
    (
        "events",
        "SELECT COUNT(*) FROM events WHERE session_id IN "
        "(SELECT id FROM sessions WHERE listener_id = ?1)",
    ),
    ("learning states", "SELECT COUNT(*) FROM learning_state WHERE listener_id = ?1"),
    ("quarantined tracks", "SELECT COUNT(*) FROM quarantine WHERE listener_id = ?1"),
    ("assessments", "SELECT COUNT(*) FROM assessments WHERE listener_id = ?1"),
    ("listener records", "SELECT COUNT(*) FROM listeners WHERE id = ?1"),
)


def count_listener_rows(conn: sqlite3.Connection, listener_id: str) -> dict[str, int]:
    return {label: int(conn.execute(sql, (listener_id,)).fetchone()[0]) for label, sql in COUNTS}


def delete_listener_rows(conn: sqlite3.Connection, listener_id: str) -> dict[str, int]:
    """Delete everything stored under `listener_id`; returns the counts deleted. Call inside
    a transaction. A session still running for the listener goes too: its thread's next write
    then fails, which is the lesser harm than keeping data the listener asked to erase."""
    counts = count_listener_rows(conn, listener_id)
    conn.execute("DELETE FROM sessions WHERE listener_id = ?", (listener_id,))
    conn.execute("DELETE FROM learning_state WHERE listener_id = ?", (listener_id,))
    conn.execute("DELETE FROM quarantine WHERE listener_id = ?", (listener_id,))
    conn.execute("DELETE FROM assessments WHERE listener_id = ?", (listener_id,))
    conn.execute("DELETE FROM listeners WHERE id = ?", (listener_id,))
    return counts
