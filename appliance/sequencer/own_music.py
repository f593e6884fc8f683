"""Noticing when a listener's own music stops helping (a bereavement, a change of mood).

The bandit's evidence compares a session's segments with each other (evidence.py); once it has
learnt to prefer the listener's own music and plays little else, a session says nothing about
that music any more, and a turn would go unseen for many sessions. This watch looks at what
own-music segments earn on their own: each session's mean reward from them, against the
sessions before. When the current session's first LOOK own-music segments earn less than the
usual level by more than the sessions' spread explains, the music has turned: the bandit's
earlier evidence is faded hard and the music is given a verdict of the drop (so other music is
tried again, and the contrasts relearn what helps), the familiar preference is suspended, and
the watch starts a new reference from this session on.

Persisted per listener beside the bandit's evidence (model name WATCH_MODEL).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

WATCH_MODEL = "own-music-watch-v1"
LOOK = 3  # own-music segments of a session before it is judged (once per session)
MIN_SESSIONS = 3  # earlier sessions needed for a reference level
KEPT_SESSIONS = 8
SPREAD_Z = 2.5  # a drop beyond this many session-to-session spreads…
MIN_SPREAD = 0.25  # …and never a spread believed smaller than this (reward units)
REARM_SESSIONS = MIN_SESSIONS  # after a turn: the preference returns once this many are seen


@dataclass
class OwnMusicWatch:
    history: list[float] = field(default_factory=list)  # earlier sessions' own-music means
    current: list[float] = field(default_factory=list)  # this session's own-music rewards
    turned: bool = False  # a turn seen and not yet re-armed: no familiar preference
    judged: bool = False  # this session has been judged
    note: str | None = None  # for the next decision's reason, once

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> OwnMusicWatch:
        """The stored watch at a new session's start: last session's rewards become history."""
        if not state:
            return cls()
        try:
            history = [float(v) for v in state.get("history", [])]
            current = [float(v) for v in state.get("current", [])]
            turned = bool(state.get("turned", False))
        except (TypeError, ValueError):
            return cls()  # a damaged record: start the watch over, never fail a session
        if len(current) >= LOOK:  # fewer segments say too little about a session
            history = [*history, statistics.fmean(current)][-KEPT_SESSIONS:]
        if turned and len(history) >= REARM_SESSIONS:
            turned = False
        return cls(history=history, turned=turned)

    def to_state(self) -> dict[str, Any]:
        return {
            "history": [round(v, 6) for v in self.history],
            "current": [round(v, 6) for v in self.current],
            "turned": self.turned,
        }

    def add(self, reward: float) -> float | None:
        """One own-music segment's reward. Returns the drop (reward units, negative) when this
        session shows the music has turned, else None."""
        self.current.append(float(reward))
        if self.judged or len(self.current) < LOOK or len(self.history) < MIN_SESSIONS:
            return None
        self.judged = True
        usual = statistics.median(self.history)
        spread = max(statistics.pstdev(self.history), MIN_SPREAD * max(abs(usual), 1.0))
        now = statistics.fmean(self.current)
        if now >= usual - SPREAD_Z * spread:
            return None
        self.turned = True
        self.history = []  # a new reference from this session on
        self.note = (
            f"their own music has stopped calming them (reward {now:+.2f} this session, "
            f"{usual:+.2f} usually): exploring again"
        )
        return now - usual

    def take_note(self) -> str | None:
        note, self.note = self.note, None
        return note
