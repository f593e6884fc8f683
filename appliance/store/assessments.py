"""Clinician assessments: a rating scale's score on a date, kept under the listener's id.

The scales and their ranges are fixed here, so the CLI, the store and the trend report agree on
what a score can be. Scores are whole numbers on every scale we know; an out-of-range or
fractional score is refused before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from appliance.store.db import Store
from appliance.store.rows import to_utc_iso


@dataclass(frozen=True)
class Scale:
    key: str
    title: str  # as a clinician writes it
    low: int
    high: int
    what: str  # what a higher score means

    def describe(self) -> str:
        return f"{self.title} ({self.low}-{self.high})"


SCALES: dict[str, Scale] = {
    s.key: s
    for s in (
        Scale("gad7", "GAD-7", 0, 21, "more anxiety"),
        Scale("phq9", "PHQ-9", 0, 27, "more depression"),
        Scale("agitation", "Agitation rating", 0, 10, "more agitation"),
        # The 14-item short form, each item rated 1 (never) to 5 (several times an hour).
        Scale("cmai-sf", "CMAI short form", 14, 70, "more agitated behaviour"),
    )
}
# What a person may type for each scale (case and punctuation do not matter).
ALIASES = {
    "gad7": "gad7",
    "phq9": "phq9",
    "agitation": "agitation",
    "cmai": "cmai-sf",
    "cmaisf": "cmai-sf",
    "cmaishort": "cmai-sf",
}


@dataclass(frozen=True)
class Assessment:
    scale: Scale
    score: int
    on: date


def scale_named(name: str) -> Scale:
    """The scale a clinician means by `name` ("GAD-7", "gad7", "CMAI-SF"…), or ValueError."""
    folded = "".join(c for c in name.lower() if c.isalnum())
    key = ALIASES.get(folded)
    if key is None:
        known = ", ".join(s.describe() for s in SCALES.values())
        raise ValueError(f"unknown scale {name!r}; the scales are {known}")
    return SCALES[key]


def check_score(scale: Scale, score: float) -> int:
    if score != int(score) or not scale.low <= score <= scale.high:
        raise ValueError(
            f"a {scale.title} score is a whole number from {scale.low} to {scale.high}, "
            f"not {score:g}"
        )
    return int(score)


class Assessments:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, listener_id: str, scale: Scale, score: float, on: date) -> Assessment:
        """Record a score; a listener not yet in the store is created (pseudonymous id)."""
        value = check_score(scale, score)
        if on > datetime.now(UTC).date() + timedelta(days=1):  # a day's grace for time zones
            raise ValueError(f"the assessment date {on} is in the future")
        self.store.upsert_listener(listener_id)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO assessments (listener_id, scale, score, assessed_on, recorded_wall) "
                "VALUES (?, ?, ?, ?, ?)",
                (listener_id, scale.key, value, on.isoformat(), to_utc_iso(datetime.now(UTC))),
            )
        return Assessment(scale, value, on)

    def of(self, listener_id: str) -> list[Assessment]:
        """The listener's assessments, oldest first."""
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT scale, score, assessed_on FROM assessments WHERE listener_id = ? "
                "ORDER BY assessed_on, id",
                (listener_id,),
            ).fetchall()
        return [
            Assessment(SCALES[key], int(score), date.fromisoformat(on))
            for key, score, on in found
            if key in SCALES  # a scale a later version added: not ours to show
        ]
