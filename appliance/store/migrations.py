"""Schema migrations: an ordered list of SQL scripts; PRAGMA user_version counts those applied.

Never edit a script that has shipped: devices in the field have already run it. Append a new
one instead. Each script runs in its own transaction together with the version bump, so a
power cut during an upgrade leaves the database at the previous version, intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

# Times: wall times are ISO 8601 UTC text (records only); t_s columns are seconds since the
# session started (monotonic). NaN is stored as NULL. JSON columns hold small objects.
_V1 = """
CREATE TABLE listeners (
    id TEXT PRIMARY KEY,                          -- pseudonymous, never a name
    created TEXT NOT NULL,                        -- ISO 8601 UTC
    profile TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(profile))
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    listener_id TEXT REFERENCES listeners(id) ON DELETE CASCADE,  -- NULL: anonymous
    goal TEXT NOT NULL,
    started_wall TEXT NOT NULL,                   -- ISO 8601 UTC
    ended_wall TEXT,
    planned_s REAL NOT NULL CHECK (planned_s >= 0),
    duration_s REAL,
    status TEXT NOT NULL
        CHECK (status IN ('running', 'completed', 'stopped', 'interrupted', 'alert')),
    summary TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    consent INTEGER NOT NULL DEFAULT 0 CHECK (consent IN (0, 1))
);
CREATE INDEX sessions_by_listener ON sessions(listener_id, started_wall);
CREATE INDEX sessions_by_start ON sessions(started_wall);
CREATE INDEX sessions_by_status ON sessions(status);

CREATE TABLE decisions (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,                         -- 0, 1, 2… within the session
    t_s REAL NOT NULL,
    duration_s REAL NOT NULL,
    phase TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    probability REAL NOT NULL,
    target_arousal REAL,
    tempo_bpm REAL NOT NULL,                      -- copied out of recipe for queries
    recipe TEXT NOT NULL CHECK (json_valid(recipe)),
    stop INTEGER NOT NULL DEFAULT 0,
    alert TEXT,
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE physiology (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    hr_bpm REAL,
    rmssd_ms REAL,
    sdnn_ms REAL,
    scl_us REAL,
    scr_per_min REAL,
    breathing_rate_bpm REAL,
    quality REAL NOT NULL,                        -- the window's overall quality 0..1
    ppg_quality REAL NOT NULL,
    eda_quality REAL NOT NULL,
    arousal REAL,                                 -- NULL: no estimate for this window
    p_stress REAL,
    confidence REAL,
    label TEXT
);
CREATE INDEX physiology_by_session ON physiology(session_id, t_s);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_session ON events(session_id, t_s);
"""

# Version 2: the bandit's per-listener evidence and music quarantined after a distress press.
_V2 = """
CREATE TABLE learning_state (
    listener_id TEXT NOT NULL REFERENCES listeners(id) ON DELETE CASCADE,
    model TEXT NOT NULL,                          -- which policy/feature layout the state is for
    updated_wall TEXT NOT NULL,                   -- ISO 8601 UTC
    state TEXT NOT NULL CHECK (json_valid(state)),
    PRIMARY KEY (listener_id, model)
);

CREATE TABLE quarantine (
    listener_id TEXT NOT NULL REFERENCES listeners(id) ON DELETE CASCADE,
    music TEXT NOT NULL,                          -- "file:<path>" or "generated:<family>/<mode>"
    since_wall TEXT NOT NULL,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (listener_id, music)
);
"""

# Version 3: a session that ended on an error is recorded as 'failed', not 'completed'. SQLite
# cannot alter a CHECK constraint, so the table is rebuilt (foreign keys are off meanwhile: see
# migrate) with its rows and indexes as they were.
_V3 = """
CREATE TABLE sessions_v3 (
    id INTEGER PRIMARY KEY,
    listener_id TEXT REFERENCES listeners(id) ON DELETE CASCADE,  -- NULL: anonymous
    goal TEXT NOT NULL,
    started_wall TEXT NOT NULL,                   -- ISO 8601 UTC
    ended_wall TEXT,
    planned_s REAL NOT NULL CHECK (planned_s >= 0),
    duration_s REAL,
    status TEXT NOT NULL CHECK (status IN
        ('running', 'completed', 'stopped', 'interrupted', 'alert', 'failed')),
    summary TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
    consent INTEGER NOT NULL DEFAULT 0 CHECK (consent IN (0, 1))
);
INSERT INTO sessions_v3 (id, listener_id, goal, started_wall, ended_wall, planned_s, duration_s,
                         status, summary, consent)
    SELECT id, listener_id, goal, started_wall, ended_wall, planned_s, duration_s, status,
           summary, consent FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v3 RENAME TO sessions;
CREATE INDEX sessions_by_listener ON sessions(listener_id, started_wall);
CREATE INDEX sessions_by_start ON sessions(started_wall);
CREATE INDEX sessions_by_status ON sessions(status);
"""

# Version 4: clinician assessments (a rating scale's score on a date, for the trend report), and
# per session which policy played and whether it was drawn at random (the listener's opt-in
# comparison of the adaptive music against the fixed U-sequence). Sessions from before this
# version have no policy recorded (NULL): they stay out of the comparison.
_V4 = """
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    listener_id TEXT NOT NULL REFERENCES listeners(id) ON DELETE CASCADE,
    scale TEXT NOT NULL,                          -- gad7 | phq9 | agitation | cmai-sf
    score REAL NOT NULL,
    assessed_on TEXT NOT NULL,                    -- YYYY-MM-DD, the clinician's date
    recorded_wall TEXT NOT NULL                   -- ISO 8601 UTC
);
CREATE INDEX assessments_by_listener ON assessments(listener_id, assessed_on);
ALTER TABLE sessions ADD COLUMN policy TEXT CHECK (policy IN ('adaptive', 'u_sequence'));
ALTER TABLE sessions ADD COLUMN randomised INTEGER NOT NULL DEFAULT 0
    CHECK (randomised IN (0, 1));
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Attune than the one running."""


class MigrationError(RuntimeError):
    """A migration script failed; the database is left at the previous version."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the missing migrations, one transaction each; return the resulting version.

    `conn` must be in autocommit mode (isolation_level=None) with no transaction open, so that
    the BEGIN/COMMIT here are the only ones.
    """
    current = schema_version(conn)
    if current > len(migrations):
        raise SchemaTooNewError(
            f"the database is at schema version {current}, but this version of Attune only "
            f"knows versions up to {len(migrations)}: upgrade Attune (never downgrade it over "
            "a newer database), or restore a backup made by this version"
        )
    # A table rebuilt by a migration is dropped and recreated: with foreign keys on, the DROP
    # would cascade into every row that refers to it. They are checked before each commit.
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version in range(current + 1, len(migrations) + 1):
            _apply(conn, version, migrations[version - 1])
    finally:
        conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
    return len(migrations)


def _apply(conn: sqlite3.Connection, version: int, script: str) -> None:
    try:
        # user_version lives in the database header and is part of the transaction.
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"{len(broken)} row(s) would break a foreign key")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise MigrationError(
            f"migration to schema version {version} failed: {exc}; "
            f"the database is unchanged at version {version - 1}"
        ) from exc
