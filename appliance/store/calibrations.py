"""A listener's earlier calibrations, the entry estimate's personal reference (affect/personal.py).

They live in the summaries of the listener's finished sessions, so they go wherever those go:
kept only with consent (a session without it has no listener id and no calibration),
purged by retention and erased by `forget` with the sessions. No table of their own.
"""

from __future__ import annotations

import logging
import sqlite3

from appliance.affect.personal import (
    MAX_PAST,
    MIN_USABLE_WINDOWS,
    Calibration,
    PersonalReference,
)
from appliance.store.reads import SessionReads

log = logging.getLogger(__name__)


def personal_reference(store: SessionReads, listener_id: str | None) -> PersonalReference | None:
    """The listener's finished sessions' calibrations, oldest first; None for an anonymous
    session or when the store cannot be read (the entry then uses the population norm: a
    session must start whatever the card's state)."""
    if listener_id is None:
        return None
    try:
        records = store.latest_calibrations(listener_id, MIN_USABLE_WINDOWS, MAX_PAST)
    except (sqlite3.Error, ValueError):  # a damaged file or summary
        log.warning("entry estimate: earlier calibrations unreadable; population norm used")
        return None
    return PersonalReference.of([Calibration.from_record(r) for r in records])
