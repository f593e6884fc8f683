"""Per-listener learning state and quarantined music, in the session store.

The bandit's evidence is a small JSON object per (listener, model); it is written in the same
durable SQLite file as the sessions, so it survives restarts and power cuts and is purged with
the listener. Quarantine lists music a listener pressed "distress" on: the sequencer never plays
it to them again until staff lift it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from appliance.store.db import Store
from appliance.store.rows import to_json, to_utc_iso
from appliance.store.writable import WriteGuard


class LearningStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- bandit state ----------------------------------------------------------------------
    def save_state(self, listener_id: str, model: str, state: dict[str, Any]) -> None:
        self.store.upsert_listener(listener_id)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO learning_state (listener_id, model, updated_wall, state) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(listener_id, model) DO UPDATE SET "
                "updated_wall = excluded.updated_wall, state = excluded.state",
                (listener_id, model, to_utc_iso(datetime.now(UTC)), to_json(state)),
            )

    def load_state(self, listener_id: str, model: str) -> dict[str, Any] | None:
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT state FROM learning_state WHERE listener_id = ? AND model = ?",
                (listener_id, model),
            ).fetchone()
        return None if found is None else json.loads(found[0])

    def other_states(self, model: str, excluding: str | None) -> list[dict[str, Any]]:
        """Every other listener's state for `model`: the device's population prior."""
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT state FROM learning_state WHERE model = ? AND listener_id IS NOT ? "
                "ORDER BY listener_id",
                (model, excluding),
            ).fetchall()
        return [json.loads(r[0]) for r in found]

    # -- quarantine ------------------------------------------------------------------------
    def quarantine(
        self, listener_id: str, music: str, *, session_id: int | None = None, reason: str = ""
    ) -> None:
        self.store.upsert_listener(listener_id)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO quarantine (listener_id, music, since_wall, session_id, reason) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(listener_id, music) DO NOTHING",
                (listener_id, music, to_utc_iso(datetime.now(UTC)), session_id, reason),
            )

    def quarantined(self, listener_id: str) -> set[str]:
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT music FROM quarantine WHERE listener_id = ?", (listener_id,)
            ).fetchall()
        return {r[0] for r in found}


class UnrecordedLearning(LearningStore):
    """While the state folder cannot be written: what was learnt and quarantined still guides
    the music, and nothing new is written (the sequencer keeps it for the session)."""

    def save_state(self, listener_id: str, model: str, state: dict[str, Any]) -> None:
        pass

    def quarantine(
        self, listener_id: str, music: str, *, session_id: int | None = None, reason: str = ""
    ) -> None:
        pass


class GuardedLearning(LearningStore):
    """Learning written through a session's guard: when the card fills mid-session the write
    is skipped and the sequencer keeps what it learnt for the rest of the session."""

    def __init__(self, store: Store, guard: WriteGuard) -> None:
        super().__init__(store)
        self.guard = guard

    def save_state(self, listener_id: str, model: str, state: dict[str, Any]) -> None:
        self.guard.write(super().save_state, listener_id, model, state)

    def quarantine(
        self, listener_id: str, music: str, *, session_id: int | None = None, reason: str = ""
    ) -> None:
        self.guard.write(
            super().quarantine, listener_id, music, session_id=session_id, reason=reason
        )


def session_learning(store: Store, *, recording: bool, guard: WriteGuard | None) -> LearningStore:
    """Where a session's learning is written: nowhere while the state folder cannot be
    written, else through the session's guard when it has one."""
    if not recording:
        return UnrecordedLearning(store)
    return LearningStore(store) if guard is None else GuardedLearning(store, guard)
