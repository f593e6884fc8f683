"""A session in a clinician's words: the report's headline and `attune sessions show|list`.

Every figure comes from the one outcome (outcomes.py), rounded once there; every time a person
reads is in the device's time zone (device.timezone); the records stay in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from appliance.clock import local_text
from appliance.report.outcomes import LABELS, SessionOutcome
from appliance.signals.outcome import END_SPAN_S

# How a session ended, as staff say it.
STATUS_WORDS = {
    "completed": "completed as planned",
    "stopped": "stopped before the end",
    "interrupted": "interrupted (the device stopped or lost power)",
    "alert": "ended by a safety alert",
    "failed": "ended by a device fault",
    "running": "still running",
}
# Phases of the music's arc, in words.
PHASE_WORDS = {
    "calibration": "settling in (resting measurements)",
    "iso": "matching the listener's state",
    "descend": "slowing down",
    "trough": "holding calm",
    "plateau": "holding steady",
    "rise": "gently lifting",
    "fade": "fading out",
    "dip": "settling",
}
# Events in words (kinds not listed are shown as recorded).
EVENT_WORDS = {
    "staff_alert": "Staff alert",
    "distress": "Distress button pressed",
    "sensor_missing": "Sensor not connected at the start",
    "sensor_lost": "Sensor signal lost",
    "sensor_back": "Sensor signal back",
    "irregular_rhythm": "Irregular heart rhythm noticed",
    "session_cap": "Stopped at the maximum session length",
    "session_failed": "Device fault",
    "affect_rules": "Fell back to the simple state estimate",
    "affect_peer_refused": "Fell back to the simple state estimate",
}
MISSING = {
    "heart_rate": "no usable pulse signal",
    "rmssd": "no usable pulse signal",
    "scl": "no usable skin signal",
    "scr_rate": "no usable skin signal",
    "arousal": "no usable estimate",
}
SEPARATOR = "   ·   "


def measure_line(outcome: SessionOutcome, name: str, label: str | None = None) -> str:
    label = label or LABELS[name]
    m = getattr(outcome, name)
    if m.shown_pre is None or m.shown_post is None:
        return f"{label}: {MISSING[name]}"
    return f"{label} {m.describe()}"


def headline(outcome: SessionOutcome, entry: float | None = None) -> str:
    """The report's line: e.g. 'Heart rate 84 → 71 bpm (−13, signal quality 0.90) · Arousal
    0.66 → 0.31 (…)', with the arrival estimate (against resting norms) when there is one."""
    line = measure_line(outcome, "heart_rate", "Heart rate") + SEPARATOR
    line += measure_line(outcome, "arousal", "Arousal")
    return line if entry is None else f"{line}{SEPARATOR}on arrival {entry:.2f}"


def calm_text(outcome: SessionOutcome) -> str:
    if outcome.goal in ("wake", "recovery"):
        return "not applicable (the session aimed to raise alertness)"
    if outcome.time_to_calm_min is None:
        return "the calm target was not reached"
    return f"calm target reached by minute {outcome.time_to_calm_min:.0f}"


def session_text(
    outcome: SessionOutcome,
    decisions: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    tz: tzinfo,
    planned_s: float,
) -> list[str]:
    """`attune sessions show`: what a clinician asks of one session, no jargon."""
    who = outcome.listener_id or "anonymous (no consent to keep personal data)"
    lines = [
        f"Session {outcome.session_id}",
        f"  Listener:   {who}",
        f"  Started:    {local_text(outcome.started_utc, tz)}",
        f"  Length:     {outcome.duration_s / 60:.0f} of {planned_s / 60:.0f} min planned",
        f"  Goal:       {outcome.goal}",
        f"  Ended:      {STATUS_WORDS.get(outcome.status, outcome.status)}",
        "",
        f"Before → after (resting minutes at the start vs the last {END_SPAN_S / 60:.0f} min):",
    ]
    lines += [f"  {measure_line(outcome, name)}" for name in LABELS]
    lines += [
        f"  Time to calm: {calm_text(outcome)}",
        f"  Liked: {outcome.likes}   Stopped by the listener: {outcome.stops}   "
        f"Distress: {outcome.distress}   Staff alerts: {outcome.alerts}",
    ]
    if decisions:
        lines += ["", "Music, in order:"]
        for d in decisions:
            phase = PHASE_WORDS.get(d["phase"], d["phase"])
            lines.append(
                f"  {d['t_s'] / 60:5.1f} min  {phase:<36} {d['tempo_bpm']:4.0f} beats/min"
                + (f"   alert: {d['alert']}" if d.get("alert") else "")
            )
    if events:
        lines += ["", "What happened:"]
        for e in events:
            detail = f": {e['detail']}" if e.get("detail") else ""
            lines.append(
                f"  {e['t_s'] / 60:5.1f} min  {EVENT_WORDS.get(e['kind'], e['kind'])}{detail}"
            )
    return lines


LIST_HEADER = ("Session", "Started", "Listener", "Goal", "Minutes", "Ended", "Heart rate (bpm)")


def list_rows(outcomes: Sequence[SessionOutcome], tz: tzinfo) -> list[str]:
    """`attune sessions list`: a header, then one line a session."""
    widths = (7, 21, 16, 8, 7, 11, 16)
    rows = [LIST_HEADER]
    for o in outcomes:
        hr = o.heart_rate
        figures = f"{hr.text(hr.pre)} → {hr.text(hr.post)}" if hr.shown_pre is not None else "–"
        rows.append(
            (
                str(o.session_id),
                local_text(o.started_utc, tz),
                o.listener_id or "anonymous",
                o.goal,
                f"{o.duration_s / 60:.1f}",
                o.status,
                figures,
            )
        )
    return ["  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
