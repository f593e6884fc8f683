"""Erasing a listener from the device, on request or when consent is withdrawn.

Everything the device keeps under a listener's id goes: the store's rows (sessions with their
physiology, decisions and events; the learning state; the quarantine; the listener record),
the personal music copied for them with its index and tags, and session exports written under
the state directory (the CSV and FHIR files naming the id, and the reports of those sessions
beside them). The technician's profile YAML in /etc is not touched:
the daemon never writes there, and `attune listeners forget` says to remove it.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from appliance.listeners.profile import ListenerProfile
from appliance.music.library import MUSIC_DIR, Library
from appliance.report.export import FHIR_FILE_PATTERN, OUTCOMES_FILE_PATTERN, REPORT_FILE
from appliance.report.fhir import LISTENER_SYSTEM
from appliance.store.db import Store
from appliance.store.export import EXPORT_FILE_PATTERN
from appliance.vocabulary import check_listener_id

log = logging.getLogger(__name__)

# Exports written before their names carried the session id.
LEGACY_EXPORT_FILES = ("physiology.csv", "decisions.csv")
LEGACY_REPORT_FILE = "session-{session_id}.png"


@dataclass
class Erased:
    """What was deleted for one listener, by kind."""

    listener_id: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        found = [f"{n} {label}" for label, n in self.counts.items() if n]
        return ", ".join(found) or "nothing was stored"


def forget_listener(store: Store | None, state_dir: Path, listener_id: str) -> Erased:
    """Delete every trace of `listener_id` under `state_dir` and in `store` (None: no
    database yet). Raises ValueError for an id that is not a listener id."""
    check_listener_id(listener_id)
    erased = Erased(listener_id)
    if store is not None:
        erased.counts.update(store.forget_listener(listener_id))
    tracks, files = Library.in_state_dir(state_dir).forget(listener_id)
    erased.counts["personal tracks"] = tracks
    erased.counts["music files"] = files
    erased.counts["export files"] = _forget_exports(Path(state_dir), listener_id)
    return erased


def _forget_exports(state_dir: Path, listener_id: str) -> int:
    """Delete the exports under `state_dir` that name the listener; how many files."""
    deleted = 0
    if not state_dir.is_dir():
        return 0
    music = state_dir / MUSIC_DIR
    for path in sorted(state_dir.rglob("*")):
        if music in path.parents or not path.is_file():
            continue
        if FHIR_FILE_PATTERN.fullmatch(path.name):
            if _fhir_names(path, listener_id):
                path.unlink()
                deleted += 1
            continue
        if not _is_csv_export(path.name):
            continue
        sessions = _sessions_of(path, listener_id)
        if sessions is None:
            continue
        path.unlink()
        deleted += 1
        for session_id in sessions:
            for name in (LEGACY_REPORT_FILE, REPORT_FILE):
                report = path.with_name(name.format(session_id=session_id))
                if report.exists():
                    report.unlink()
                    deleted += 1
    return deleted


def _is_csv_export(name: str) -> bool:
    return (
        name in LEGACY_EXPORT_FILES
        or bool(EXPORT_FILE_PATTERN.fullmatch(name))
        or bool(OUTCOMES_FILE_PATTERN.fullmatch(name))
    )


def _fhir_names(path: Path, listener_id: str) -> bool:
    """Whether a FHIR export has an Observation whose subject is the listener."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        subjects = [e["resource"].get("subject", {}) for e in bundle.get("entry", [])]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("erasure: cannot read %s (%s); check it by hand", path, exc)
        return False
    return any(
        s.get("identifier", {}).get("system") == LISTENER_SYSTEM
        and s.get("identifier", {}).get("value") == listener_id
        for s in subjects
        if isinstance(s, dict)
    )


def _sessions_of(path: Path, listener_id: str) -> set[str] | None:
    """The session ids of an export naming the listener; None when it does not name them."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r.get("listener_id") == listener_id]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("erasure: cannot read %s (%s); check it by hand", path, exc)
        return None
    return {r.get("session_id", "") for r in rows} if rows else None


def honour_withdrawn_consent(
    profiles: list[ListenerProfile], store: Store, state_dir: Path
) -> list[Erased]:
    """Erase what is still kept for every listener whose profile now says no consent (the
    sessions after withdrawal keep nothing; this removes what was kept before). Logged
    without the id: the journal names only listeners who consent."""
    erased = []
    for profile in profiles:
        if profile.keeps_data:
            continue
        try:
            done = forget_listener(store, state_dir, profile.id)
        except ValueError as exc:  # an id the store could never have held
            log.warning("consent check: %s", exc)
            continue
        if done.total:
            log.warning("consent withdrawn by a listener: erased %s", done.describe())
            erased.append(done)
    return erased
