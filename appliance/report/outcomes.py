"""A session's outcome for a clinician: the one definition the summary, the CLI, the report and
the exports all show.

Each measure's start and end follow appliance/signals/outcome.py. A session records them in its
summary when it ends (appliance/session/summary.py), unrounded, from the very windows it saw;
that is all a session without consent keeps, so the summary is read first. A session recorded
before the summary kept them is computed from its stored windows by the same definition. A
figure is rounded once, here (DECIMALS), wherever it is shown or exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import numpy as np

from appliance.report import series
from appliance.signals.outcome import MEASURES, Change, session_changes, time_to_calm
from appliance.store.db import Store
from appliance.store.rows import SessionRow

# Decimals each measure is shown and exported with: a bpm or a millisecond is finer than the
# sensors resolve; skin conductance moves by hundredths of a microsiemens.
DECIMALS = {"heart_rate": 0, "rmssd": 0, "scl": 2, "scr_rate": 1, "arousal": 2}
QUALITY_DECIMALS = 2
UNITS = {name: unit for name, _value, _quality, unit in MEASURES}
# What each measure is called where a person reads it.
LABELS = {
    "heart_rate": "Heart rate",
    "rmssd": "Pulse-rate variability (RMSSD)",
    "scl": "Skin conductance level",
    "scr_rate": "Skin conductance responses",
    "arousal": "Estimated arousal (0-1)",
}
MEASURE_NAMES = tuple(name for name, *_ in MEASURES)
# Arcs that rise (waking, recovery) aim above the entry state: "time to calm" does not apply.
RISING_GOALS = frozenset({"wake", "recovery"})


def rounded(value: float | None, decimals: int) -> float | None:
    """The one rounding: half away from zero (Python's round() rounds half to even)."""
    if value is None:
        return None
    scale = 10.0**decimals
    return float(np.sign(value) * np.floor(abs(value) * scale + 0.5) / scale) + 0.0


@dataclass(frozen=True)
class Measure:
    """One measure before and after, with the mean signal quality (0-1) each rests on."""

    pre: float | None
    post: float | None
    pre_quality: float | None
    post_quality: float | None
    unit: str
    decimals: int = 1

    @property
    def change(self) -> float | None:
        """After minus before, of the figures as shown (so 89 → 73 is always −16)."""
        pre, post = self.shown_pre, self.shown_post
        if pre is None or post is None:
            return None
        return rounded(post - pre, self.decimals)

    @property
    def quality(self) -> float | None:
        """The poorer of the two qualities: what the change as a whole rests on."""
        if self.pre_quality is None or self.post_quality is None:
            return None
        return rounded(min(self.pre_quality, self.post_quality), QUALITY_DECIMALS)

    @property
    def shown_pre(self) -> float | None:
        return rounded(self.pre, self.decimals)

    @property
    def shown_post(self) -> float | None:
        return rounded(self.post, self.decimals)

    @property
    def shown_pre_quality(self) -> float | None:
        return rounded(self.pre_quality, QUALITY_DECIMALS)

    @property
    def shown_post_quality(self) -> float | None:
        return rounded(self.post_quality, QUALITY_DECIMALS)

    def text(self, value: float | None) -> str:
        """A figure as a person reads it ('–' when there is none)."""
        return "–" if value is None else f"{rounded(value, self.decimals):.{self.decimals}f}"

    def describe(self) -> str:
        """E.g. '89 → 73 bpm (−16, signal quality 0.90)', or why there is no change."""
        unit = f" {self.unit}" if self.unit else ""
        if self.shown_pre is None or self.shown_post is None:
            return f"{self.text(self.pre)} → {self.text(self.post)}{unit} (not enough good signal)"
        change = self.change or 0.0
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        return (
            f"{self.text(self.pre)} → {self.text(self.post)}{unit} "
            f"({sign}{abs(change):.{self.decimals}f}, signal quality {self.quality:.2f})"
        )


@dataclass(frozen=True)
class SessionOutcome:
    session_id: int
    listener_id: str | None  # None: anonymous (no consent)
    started_utc: datetime
    duration_s: float
    status: str
    goal: str
    consent: bool
    heart_rate: Measure
    rmssd: Measure
    scl: Measure
    scr_rate: Measure
    arousal: Measure
    time_to_calm_min: float | None  # the first minute the arc's deepest target is reached
    likes: int
    stops: int
    distress: int
    alerts: int
    # The resting minutes the "before" of heart rate, RMSSD and skin conductance rest on
    # (seconds from the start); arousal's "before" is the minute after them.
    calibration: tuple[float, float] = (0.0, series.DEFAULT_CALIBRATION_S)

    def measures(self) -> dict[str, Measure]:
        return {name: getattr(self, name) for name in MEASURE_NAMES}


def session_outcome(store: Store, session_id: int) -> SessionOutcome:
    """The outcome of one stored session (KeyError: no such session)."""
    return _outcome(store, store.session(session_id))


def session_outcomes(
    store: Store,
    *,
    listener_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    tz: tzinfo = UTC,
) -> list[SessionOutcome]:
    """Finished sessions' outcomes, oldest first: all, or one listener's, started from `since`
    to `until` inclusive (calendar days in `tz`, the device's time zone)."""
    chosen = []
    for row in store.sessions(listener_id):
        if not row.finished:
            continue
        day = row.started_wall.astimezone(tz).date()
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        chosen.append(_outcome(store, row))
    return chosen


def _outcome(store: Store, row: SessionRow) -> SessionOutcome:
    recorded = (row.summary or {}).get("outcome")
    events = store.events(row.id)
    if isinstance(recorded, dict):
        measures = {n: _measure(n, *_four(recorded.get(n))) for n in MEASURE_NAMES}
        calm = recorded.get("time_to_calm_min")
        presses = [int(recorded.get(k) or 0) for k in ("likes", "stops", "distress")]
        calibration = (0.0, float(recorded.get("calibration_s") or series.DEFAULT_CALIBRATION_S))
    else:
        measures, calm, calibration = _from_windows(store, row.id)
        presses = [0, 0, sum(e["kind"] == "distress" for e in events)]
    return SessionOutcome(
        session_id=row.id,
        listener_id=row.listener_id,
        started_utc=row.started_wall.astimezone(UTC),
        duration_s=float(row.duration_s or 0.0),
        status=row.status,
        goal=row.goal,
        consent=row.consent,
        time_to_calm_min=None if row.goal in RISING_GOALS or calm is None else float(calm),
        likes=presses[0],
        stops=presses[1],
        distress=presses[2],
        alerts=sum(e["kind"] == "staff_alert" for e in events),
        calibration=calibration,
        **measures,
    )


def _four(value: Any) -> tuple[float | None, ...]:
    if not isinstance(value, list | tuple) or len(value) != 4:
        return (None, None, None, None)
    return tuple(None if v is None else float(v) for v in value)


def _measure(name: str, *values: float | None) -> Measure:
    return Measure(*values, unit=UNITS[name], decimals=DECIMALS[name])


def window_columns(physiology: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The stored windows' columns the outcome is computed from, as floats (None → NaN)."""
    names = ("t_s", *(v for _, v, _, _ in MEASURES), *(q for _, _, q, _ in MEASURES))
    return {name: np.array([r.get(name) for r in physiology], dtype=float) for name in names}


def _from_windows(
    store: Store, session_id: int
) -> tuple[dict[str, Measure], float | None, tuple[float, float]]:
    physiology = store.physiology(session_id)
    decisions = store.decisions(session_id)
    calibration = series.calibration_window(series.segments(decisions))
    columns = window_columns(physiology)
    changes: dict[str, Change] = session_changes(columns, calibration)
    measures = {
        n: _measure(n, c.start, c.end, c.start_quality, c.end_quality) for n, c in changes.items()
    }
    targets = [d["target_arousal"] for d in decisions if d.get("target_arousal") is not None]
    calm = time_to_calm(
        columns["t_s"],
        columns["arousal"],
        columns["quality"],
        min(targets) if targets else None,
        calibration[1],
    )
    return measures, calm, calibration
