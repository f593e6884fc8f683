"""What a session may keep: everything with the listener's consent, else its anonymous outcome.

The session writes through this in place of the Store. Without consent the session row has no
listener id and only its summary (status, duration, the anonymous before/after figures); the
physiology windows, the music decisions and the baseline are never written. Device events
(a sensor lost, a staff alert, the affect model set aside) are kept: they are about the box and
the safety of the session, not about the person. Physiology events (an irregular heart rhythm)
are about the person: kept only with consent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appliance.store.db import Store
from appliance.store.writable import WriteGuard

DEVICE_EVENTS = frozenset(
    {
        "sensor_missing",
        "sensor_lost",
        "sensor_back",
        "staff_alert",
        "stopped_by",
        "affect_rules",
        "affect_peer_refused",
        "session_failed",
    }
)

# What a session's summary keeps of the person, not of the outcome: dropped without consent.
PERSONAL_SUMMARY = frozenset({"calibration"})

NOT_RECORDED = -1  # the id of a session whose very first write was refused


class SessionRecords:
    def __init__(self, store: Store, *, keep_data: bool, guard: WriteGuard | None = None) -> None:
        self.store = store
        self.keep_data = keep_data
        self.guard = guard  # a full or read-only card mid-session: the writes stop, not the music

    def _write(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if self.guard is None else self.guard.write(fn, *args, **kwargs)

    def start_session(
        self,
        listener_id: str | None,
        goal: str,
        planned_s: float,
        wall_start: datetime | None = None,
        *,
        policy: str | None = None,
        randomised: bool = False,
        **_: Any,
    ) -> int:
        sid = self._write(
            self.store.start_session,
            listener_id if self.keep_data else None,
            goal,
            planned_s,
            wall_start,
            consent=self.keep_data,
            policy=policy,
            randomised=randomised,
        )
        return NOT_RECORDED if sid is None else sid

    def add_decision(self, session_id: int, t_s: float, decision: Any) -> None:
        if self.keep_data:
            self._write(self.store.add_decision, session_id, t_s, decision)

    def add_physiology(self, session_id: int, t_s: float, features: Any, estimate: Any) -> None:
        if self.keep_data:
            self._write(self.store.add_physiology, session_id, t_s, features, estimate)

    def add_event(self, session_id: int, t_s: float, kind: str, detail: str = "") -> None:
        if self.keep_data or kind in DEVICE_EVENTS:
            self._write(self.store.add_event, session_id, t_s, kind, detail)

    def note_progress(self, session_id: int, t_s: float) -> None:
        self._write(self.store.note_progress, session_id, t_s)  # the duration: part of the outcome

    def end_session(
        self, session_id: int, status: str, duration_s: float, summary: dict[str, Any]
    ) -> None:
        if not self.keep_data:  # the calibration serves only the listener's later sessions
            summary = {k: v for k, v in summary.items() if k not in PERSONAL_SUMMARY}
        self._write(self.store.end_session, session_id, status, duration_s, summary)

    def __getattr__(self, name: str) -> Any:
        # Reads and anything else the session may use go to the store itself.
        return getattr(self.store, name)
