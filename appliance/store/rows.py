"""Rows as the rest of the product sees them, and the conversions to and from SQLite values."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.signals.features import WindowFeatures

SESSION_STATUSES = ("running", "completed", "stopped", "interrupted", "alert", "failed")
FINAL_STATUSES = tuple(s for s in SESSION_STATUSES if s != "running")

# Pseudonymous ids only: short tokens such as "L-0042", nothing that reads like a name + date.

# Profile keys that would identify a person; the profile holds music preferences and settings.
IDENTIFYING_PROFILE_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "surname",
        "full_name",
        "dob",
        "birth_date",
        "date_of_birth",
        "birthday",
        "address",
        "postcode",
        "zip",
        "phone",
        "email",
        "room",
        "nhs_number",
        "ssn",
        "insurance_number",
        "patient_id",
        "mrn",
    }
)


@dataclass(frozen=True)
class SessionRow:
    id: int
    listener_id: str | None  # None: anonymous session
    goal: str
    started_wall: datetime  # timezone-aware UTC
    ended_wall: datetime | None
    planned_s: float
    duration_s: float | None
    status: str  # running | completed | stopped | interrupted | alert
    summary: dict[str, Any]
    consent: bool

    @property
    def finished(self) -> bool:
        return self.status != "running"


def to_utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC, to the second: sorts as text, so retention can compare strings.

    A naive datetime is taken as local time (what `datetime.now()` returns).
    """
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def sql_float(value: float | None) -> float | None:
    """NaN and infinities become NULL: a missing measurement, not a number."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_default(value: object) -> object:
    # numpy scalars and arrays, and anything else with a plain-Python view of itself.
    for attribute in ("item", "tolist"):
        convert = getattr(value, attribute, None)
        if callable(convert):
            return convert()
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(value: object) -> str:
    """Strict JSON (NaN → null), so every reader, not only Python's, can parse it."""
    plain = json.loads(json.dumps(value, default=_json_default))
    return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


def check_profile(profile: dict[str, Any]) -> dict[str, Any]:
    found = sorted(k for k in profile if str(k).lower() in IDENTIFYING_PROFILE_KEYS)
    if found:
        raise ValueError(
            f"listener profile keys {found} would identify a person; keep those in the care "
            "record and store only preferences and settings here"
        )
    return profile


def session_row(row: tuple[Any, ...]) -> SessionRow:
    (sid, listener_id, goal, started, ended, planned, duration, status, summary, consent) = row
    return SessionRow(
        id=int(sid),
        listener_id=listener_id,
        goal=goal,
        started_wall=from_iso(started),  # type: ignore[arg-type]
        ended_wall=from_iso(ended),
        planned_s=float(planned),
        duration_s=None if duration is None else float(duration),
        status=status,
        summary=json.loads(summary),
        consent=bool(consent),
    )


SESSION_COLUMNS = (
    "id, listener_id, goal, started_wall, ended_wall, planned_s, duration_s, status, summary, "
    "consent"
)


class DecisionRecord(Protocol):
    """What the store keeps of a music decision (the sequencer's Decision has all of it)."""

    @property
    def recipe(self) -> Recipe: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def phase(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def target_arousal(self) -> float | None: ...
    @property
    def stop(self) -> bool: ...
    @property
    def alert(self) -> str | None: ...


def decision_values(
    session_id: int, seq: int, t_s: float, decision: DecisionRecord
) -> tuple[object, ...]:
    """Values for DECISION_INSERT."""
    return (
        session_id,
        seq,
        float(t_s),
        float(decision.duration_s),
        decision.phase,
        decision.rule,
        decision.reason,
        float(decision.probability),
        sql_float(decision.target_arousal),
        float(decision.recipe.tempo_bpm),
        to_json(decision.recipe.as_dict()),
        int(decision.stop),
        decision.alert,
    )


DECISION_INSERT = (
    "INSERT INTO decisions (session_id, seq, t_s, duration_s, phase, rule, reason, probability, "
    "target_arousal, tempo_bpm, recipe, stop, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def physiology_values(
    session_id: int, t_s: float, f: WindowFeatures, e: AffectEstimate | None
) -> tuple[object, ...]:
    """Values for PHYSIOLOGY_INSERT; NaN becomes NULL, no estimate leaves its columns NULL."""
    return (
        session_id,
        float(t_s),
        sql_float(f.hr_bpm),
        sql_float(f.rmssd_ms),
        sql_float(f.sdnn_ms),
        sql_float(f.scl_us),
        sql_float(f.scr_per_min),
        sql_float(f.breathing_rate_bpm),
        sql_float(f.quality) or 0.0,
        sql_float(f.ppg_quality) or 0.0,
        sql_float(f.eda_quality) or 0.0,
        None if e is None else sql_float(e.arousal),
        None if e is None else sql_float(e.p_stress),
        None if e is None else sql_float(e.confidence),
        None if e is None else e.label,
    )


PHYSIOLOGY_INSERT = (
    "INSERT INTO physiology (session_id, t_s, hr_bpm, rmssd_ms, sdnn_ms, scl_us, scr_per_min, "
    "breathing_rate_bpm, quality, ppg_quality, eda_quality, arousal, p_stress, confidence, label) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
