"""The store's reads of recorded sessions: their rows, decisions, physiology and events.

A mixin of `Store` (db.py), which supplies the two locked query helpers below; every read
runs through them, so the locking stays in one place.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.store import rows
from appliance.store.rows import SessionRow


class SessionReads:
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # Store's, under its lock

    def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        raise NotImplementedError  # Store's, under its lock

    def sessions(self, listener_id: str | None = None) -> list[SessionRow]:
        """Sessions oldest first, all of them or one listener's."""
        sql = f"SELECT {rows.SESSION_COLUMNS} FROM sessions"
        params: tuple[Any, ...] = ()
        if listener_id is not None:
            sql += " WHERE listener_id = ?"
            params = (listener_id,)
        return [
            rows.session_row(r) for r in self._query(sql + " ORDER BY started_wall, id", params)
        ]

    def session(self, session_id: int) -> SessionRow:
        found = self._query(
            f"SELECT {rows.SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        )
        if not found:
            raise KeyError(f"no session {session_id} in the store (see `attune sessions list`)")
        return rows.session_row(found[0])

    def policies(self, listener_id: str) -> dict[int, tuple[str | None, bool]]:
        """Session id → (the policy that played, whether it was randomised), oldest first."""
        found = self._query(
            "SELECT id, policy, randomised FROM sessions WHERE listener_id = ? "
            "ORDER BY started_wall, id",
            (listener_id,),
        )
        return {int(sid): (policy, bool(randomised)) for sid, policy, randomised in found}

    def decisions(self, session_id: int) -> list[dict[str, Any]]:
        """Decisions in order; 'recipe' is the recipe as a dict, 'stop' a bool."""
        out = self._dicts(
            "SELECT seq, t_s, duration_s, phase, rule, reason, probability, target_arousal, "
            "tempo_bpm, recipe, stop, alert FROM decisions WHERE session_id = ? ORDER BY seq",
            (session_id,),
        )
        for d in out:
            d["recipe"] = json.loads(d["recipe"])
            d["stop"] = bool(d["stop"])
        return out

    def latest_calibrations(self, listener_id: str, min_usable: int, limit: int) -> list[Any]:
        """The "calibration" entries of the listener's `limit` latest finished sessions with at
        least `min_usable` usable PPG windows, oldest first. Read at every session's start, so
        it walks the listener's index from the newest: years of a resident's sessions cost no
        more than a week's (reading every summary took 30 ms for 730 sessions here)."""
        found = self._query(
            "SELECT json_extract(summary, '$.calibration') FROM sessions "
            "WHERE listener_id = ? AND status != 'running' "
            "AND json_extract(summary, '$.calibration.usable_windows') >= ? "
            "ORDER BY started_wall DESC, id DESC LIMIT ?",
            (listener_id, min_usable, limit),
        )
        return [json.loads(r[0]) for r in reversed(found)]

    def physiology(self, session_id: int) -> list[dict[str, Any]]:
        """Windows in time order; missing measurements are None."""
        return self._dicts(
            "SELECT t_s, hr_bpm, rmssd_ms, sdnn_ms, scl_us, scr_per_min, breathing_rate_bpm, "
            "quality, ppg_quality, eda_quality, arousal, p_stress, confidence, label "
            "FROM physiology WHERE session_id = ? ORDER BY t_s, id",
            (session_id,),
        )

    def events(self, session_id: int) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT t_s, kind, detail FROM events WHERE session_id = ? ORDER BY t_s, id",
            (session_id,),
        )
