"""Exports for the care record: one session, one listener's sessions or a date range.

What an export writes into its folder (0700, every file 0600 and replaced atomically):

- `<scope>-outcomes.csv`: one row a session, the outcome (outcomes.py) with its columns in
  OUTCOME_COLUMNS (documented in docs/outcomes.md);
- `<scope>-outcomes.fhir.json`: the same outcomes as a FHIR R4 Bundle of Observations (fhir.py);
- for each session kept with consent: `session-N-physiology.csv`, `session-N-decisions.csv`
  (appliance/store/export.py) and, when asked, the one-page `session-N-report.png`.

`<scope>` names what was exported (`session-12`, `listener-L-0042`, `2026-05-01-to-2026-05-31`),
so exports of different scopes never overwrite each other. Only pseudonymous ids leave the
device. A session without consent exports its anonymous outcome only: no listener id, its
date without the time of day, no windows, no decisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, tzinfo
from pathlib import Path

from appliance.clock import local_time
from appliance.fsutil import atomic_write_bytes, ensure_private_dir
from appliance.report.fhir import bundle_json
from appliance.report.outcomes import (
    MEASURE_NAMES,
    SessionOutcome,
    session_outcome,
    session_outcomes,
)
from appliance.store.db import Store
from appliance.store.export import csv_bytes, export_session_csv

OUTCOMES_FILE = "{scope}-outcomes.csv"
FHIR_FILE = "{scope}-outcomes.fhir.json"
REPORT_FILE = "session-{session_id}-report.png"
# How erasure recognises these files when a listener is forgotten.
OUTCOMES_FILE_PATTERN = re.compile(r".+-outcomes\.csv")
FHIR_FILE_PATTERN = re.compile(r".+-outcomes\.fhir\.json")

# Per measure: before, after, after minus before, and the signal quality (0-1) each rests on.
MEASURE_PARTS = ("pre", "post", "change", "pre_quality", "post_quality")
OUTCOME_COLUMNS: tuple[str, ...] = (
    "session_id",
    "listener_id",
    "date_local",
    "start_local",
    "timezone",
    "goal",
    "status",
    "duration_min",
    *(f"{m}_{part}" for m in MEASURE_NAMES for part in MEASURE_PARTS),
    "time_to_calm_min",
    "likes",
    "stops",
    "distress",
    "alerts",
)


class NothingToExport(LookupError):
    """No finished session matches what was asked."""


def export_sessions(
    store: Store,
    dest: Path,
    *,
    session_id: int | None = None,
    listener_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    tz: tzinfo = UTC,
    timezone_name: str = "UTC",
    reports: bool = False,
) -> list[Path]:
    """Export the chosen sessions' outcomes (and, for consented sessions, their windows and
    decisions) into `dest`; the paths written. `since`/`until` are calendar days in `tz` (the
    device's zone, named `timezone_name`), inclusive. `reports`: also each session's PNG.
    Raises KeyError for an unknown session and NothingToExport when nothing matches."""
    if session_id is not None:
        outcomes = [session_outcome(store, session_id)]
    else:
        outcomes = session_outcomes(store, listener_id=listener_id, since=since, until=until, tz=tz)
    if not outcomes:
        raise NothingToExport("no finished session matches: nothing was exported")
    scope = scope_name(session_id, listener_id, since, until)
    dest = ensure_private_dir(Path(dest))
    rows = [outcome_row(o, tz, timezone_name) for o in outcomes]
    written = [
        atomic_write_bytes(
            dest / OUTCOMES_FILE.format(scope=scope), csv_bytes(OUTCOME_COLUMNS, rows)
        ),
        atomic_write_bytes(dest / FHIR_FILE.format(scope=scope), bundle_json(outcomes, tz)),
    ]
    for o in _kept_with_consent(outcomes):
        written += export_session_csv(store, o.session_id, dest)
        if reports:
            from appliance.report.session_png import render_session_png

            png = dest / REPORT_FILE.format(session_id=o.session_id)
            written.append(render_session_png(store, o.session_id, png, tz))
    return written


def scope_name(
    session_id: int | None, listener_id: str | None, since: date | None, until: date | None
) -> str:
    """What an export holds, for its file names."""
    if session_id is not None:
        return f"session-{session_id}"
    parts = [f"listener-{listener_id}"] if listener_id else []
    if since or until:
        parts.append(f"{since or 'start'}-to-{until or 'now'}")
    return "_".join(parts) or "all-sessions"


def outcome_row(o: SessionOutcome, tz: tzinfo, timezone_name: str) -> dict[str, object]:
    """One session's row of the outcomes CSV, every figure rounded as shown (outcomes.py)."""
    started = local_time(o.started_utc, tz)
    consented = o.consent  # without it the device kept no id, windows or decisions
    row: dict[str, object] = {
        "session_id": o.session_id,
        "listener_id": (o.listener_id or "") if consented else "",
        "date_local": started.date().isoformat(),
        # The time of day could tell who was in the room: kept only with consent.
        "start_local": started.strftime("%H:%M") if consented else "",
        "timezone": timezone_name,
        "goal": o.goal,
        "status": o.status,
        "duration_min": round(o.duration_s / 60.0, 1),
        "time_to_calm_min": o.time_to_calm_min,
        "likes": o.likes,
        "stops": o.stops,
        "distress": o.distress,
        "alerts": o.alerts,
    }
    for name, m in o.measures().items():
        row[f"{name}_pre"] = m.shown_pre
        row[f"{name}_post"] = m.shown_post
        row[f"{name}_change"] = m.change
        row[f"{name}_pre_quality"] = m.shown_pre_quality
        row[f"{name}_post_quality"] = m.shown_post_quality
    return row


def _kept_with_consent(outcomes: Iterable[SessionOutcome]) -> list[SessionOutcome]:
    return [o for o in outcomes if o.consent]
