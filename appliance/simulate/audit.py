"""Safety and mask audit of a session's decisions, independent of the code that made them.

Each check restates a rule from the issue in the simplest terms, over the decisions as the
store recorded them, so a sequencer bug cannot hide behind the sequencer's own bookkeeping.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from appliance.music.recipe import Recipe
from appliance.sequencer.arms import music_key
from appliance.sequencer.profile import QUIET_CAP_DB, SequencerProfile
from appliance.sequencer.safety import SafetyGuard
from appliance.sequencer.steps import (
    MAX_CHANGES_PER_STEP,
    MAX_TEMPO_STEP_BPM,
    MUSICAL_PARAMETERS,
    NON_RISING_PHASES,
    TROUGH_TEMPO_BPM,
    TROUGH_TEMPO_MAX_BPM,
)
from appliance.vocabulary import USABLE_QUALITY

LOW_PHASES = ("trough", "plateau")
CALMING = NON_RISING_PHASES | {"safety-hold"}
EPS = 1e-6
HR_LIMIT_GRACE_S = 60.0  # HR beyond the absolute limits this long without a stop: a violation


def _recipe(d: Mapping[str, Any]) -> Recipe:
    r = d["recipe"]
    return r if isinstance(r, Recipe) else Recipe(**r)


def violations(
    decisions: Iterable[Mapping[str, Any]],
    profile: SequencerProfile,
    *,
    quarantined: Iterable[str] = (),
    session_s: float | None = None,
) -> list[str]:
    """Every rule a session's decisions broke, as readable lines (empty: none)."""
    played = [d for d in decisions if d["duration_s"] > 0]
    found: list[str] = []
    banned = set(quarantined)
    for d in played:
        r, where = _recipe(d), f"t={d['t_s']:.0f}s {d['phase']}"
        c = profile.constraint
        if c == "no_minor" and (
            (r.mode == "minor" and r.source == "generated") or r.source == "file"
        ):
            found.append(f"{where}: minor or unknown mode under no_minor")
        if c == "no_personal" and r.source == "file":
            found.append(f"{where}: personal music under no_personal")
        if c == "no_generated" and r.source == "generated":
            found.append(f"{where}: generated music under no_generated")
        if c == "no_vocals" and r.vocals:
            found.append(f"{where}: vocals under no_vocals")
        if c == "quiet" and r.loudness_db > QUIET_CAP_DB + EPS:
            found.append(f"{where}: {r.loudness_db} dB above the quiet cap")
        if music_key(r) in banned:
            found.append(f"{where}: quarantined music {music_key(r)}")
        in_range = TROUGH_TEMPO_BPM - EPS <= r.tempo_bpm <= TROUGH_TEMPO_MAX_BPM + EPS
        if d["phase"] in LOW_PHASES and r.source != "silence" and not in_range:
            found.append(f"{where}: trough tempo {r.tempo_bpm}")
        if d["phase"] in LOW_PHASES and r.vocals:
            found.append(f"{where}: vocals at the trough")
    for a, b in itertools.pairwise(played):
        ra, rb, where = _recipe(a), _recipe(b), f"t={b['t_s']:.0f}s {b['phase']}"
        if "silence" in (ra.source, rb.source):
            continue  # stepping to or from near-silence is always allowed
        if abs(rb.tempo_bpm - ra.tempo_bpm) > MAX_TEMPO_STEP_BPM + EPS:
            found.append(f"{where}: tempo step {ra.tempo_bpm} → {rb.tempo_bpm}")
        changed = [p for p in MUSICAL_PARAMETERS if getattr(ra, p) != getattr(rb, p)]
        if len(changed) > MAX_CHANGES_PER_STEP:
            found.append(f"{where}: {len(changed)} parameters changed ({', '.join(changed)})")
        if b["phase"] in CALMING and rb.loudness_db > ra.loudness_db + EPS:
            found.append(f"{where}: crescendo while calming")
        if b["phase"] in CALMING and rb.density > ra.density + EPS and rb.source == "generated":
            found.append(f"{where}: busier while calming")
    if session_s is not None and played:
        end = max(d["t_s"] + d["duration_s"] for d in played)
        if end > session_s + EPS:
            found.append(f"music planned to {end:.0f} s, past the session's {session_s:.0f} s")
    return found


def unguarded_hr(
    rows: Iterable[Mapping[str, Any]], guard: SafetyGuard, status: str, *, update_s: float
) -> list[str]:
    """HR measured beyond the absolute limits for long, while the session played on (`rows`:
    the stored physiology windows, one every `update_s`)."""
    outside = [
        r["t_s"]
        for r in rows
        if r["hr_bpm"] is not None
        and r["quality"] >= USABLE_QUALITY
        and not guard.min_bpm <= r["hr_bpm"] <= guard.max_bpm
    ]
    if status != "alert" and len(outside) * update_s > HR_LIMIT_GRACE_S:
        return [f"HR outside {guard.min_bpm:.0f}-{guard.max_bpm:.0f} bpm for long, no stop"]
    return []
