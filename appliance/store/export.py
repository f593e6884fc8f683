"""CSV export of one session for a clinician: the minimum, pseudonymous, times relative.

No wall-clock times, no personal music file names: a row carries the listener's pseudonymous id,
the session number and seconds since the session started.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from appliance.fsutil import atomic_write_bytes, ensure_private_dir
from appliance.store.db import Store

# File names carry the session id, so sessions exported into one folder never overwrite each
# other; erasure finds them by these patterns.
PHYSIOLOGY_FILE = "session-{session_id}-physiology.csv"
DECISIONS_FILE = "session-{session_id}-decisions.csv"
EXPORT_FILE_PATTERN = re.compile(r"session-\d+-(physiology|decisions)\.csv")

PHYSIOLOGY_COLUMNS = (
    "listener_id",
    "session_id",
    "t_s",
    "hr_bpm",
    "rmssd_ms",
    "sdnn_ms",
    "breathing_rate_bpm",
    "scl_us",
    "scr_per_min",
    "quality",
    "ppg_quality",
    "eda_quality",
    "arousal",
    "p_stress",
    "confidence",
    "label",
)
DECISIONS_COLUMNS = (
    "listener_id",
    "session_id",
    "seq",
    "t_s",
    "duration_s",
    "phase",
    "rule",
    "reason",
    "probability",
    "target_arousal",
    "tempo_bpm",
    "key",
    "mode",
    "density",
    "instrument",
    "loudness_db",
    "source",
    "vocals",
    "stop",
    "alert",
)
# Recipe fields exported; 'file' (a family's track name) and 'seed' are left out on purpose.
_RECIPE_FIELDS = ("key", "mode", "density", "instrument", "loudness_db", "source", "vocals")


def export_session_csv(store: Store, session_id: int, directory: Path) -> list[Path]:
    """Write session-N-physiology.csv and session-N-decisions.csv for one session into
    `directory` (0700, files 0600, each replaced atomically). Returns the two paths."""
    session = store.session(session_id)  # KeyError for an unknown session
    ids = {"listener_id": session.listener_id or "", "session_id": session.id}
    directory = ensure_private_dir(Path(directory))

    physiology = ({**ids, **row} for row in store.physiology(session_id))
    decisions = (
        {
            **ids,
            **row,
            **{k: row["recipe"].get(k) for k in _RECIPE_FIELDS},
            "reason": _without_file_name(row["reason"], row["recipe"].get("file")),
        }
        for row in store.decisions(session_id)
    )
    return [
        atomic_write_bytes(
            directory / PHYSIOLOGY_FILE.format(session_id=session.id),
            csv_bytes(PHYSIOLOGY_COLUMNS, physiology),
        ),
        atomic_write_bytes(
            directory / DECISIONS_FILE.format(session_id=session.id),
            csv_bytes(DECISIONS_COLUMNS, decisions),
        ),
    ]


def _without_file_name(reason: str, file: str | None) -> str:
    # Reasons may quote the personal track (Recipe.describe()); its name can identify a family.
    return reason.replace(file, "[name withheld]") if file else reason


def cell(value: Any) -> Any:
    if value is None:
        return ""  # a missing measurement: an empty cell, which spreadsheets and pandas read
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def csv_bytes(columns: Sequence[str], records: Iterable[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([cell(record.get(c)) for c in columns])
    return text.getvalue().encode("utf-8")
