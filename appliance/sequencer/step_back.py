"""The guard's decisions: stop now (fade, alert), step back to calmer music, hold it.

The guard (safety.py) says when; this module says what plays: one step slower and softer, or
near-silence at the tempo floor or from a personal track, held until a segment boundary at
least MIN_HOLD_S away and then to the end of the session.
"""

from __future__ import annotations

from appliance.music.recipe import Recipe
from appliance.sequencer import steps as rule
from appliance.sequencer.decision import Decision

STEP_BACK_TEMPO_BPM = 10.0
STEP_BACK_LOUDNESS_DB = 6.0
SAFETY_FADE_S = 10.0  # a safety stop fades out over this long, never cuts
MIN_HOLD_S = 30.0  # a step back plays at least this long before the next boundary


def calmer(recipe: Recipe) -> Recipe:
    """One step back: slower and softer (two changes), or near-silence at the tempo floor or
    from a personal track."""
    softer = recipe.loudness_db - STEP_BACK_LOUDNESS_DB
    if recipe.source != "generated" or recipe.tempo_bpm <= rule.TROUGH_TEMPO_BPM + 1e-9:
        return recipe.with_(source="silence", file=None, speed=1.0, loudness_db=softer)
    tempo = max(rule.TROUGH_TEMPO_BPM, recipe.tempo_bpm - STEP_BACK_TEMPO_BPM)
    return recipe.with_(tempo_bpm=tempo, loudness_db=softer)


def safety_stop(playing: Recipe, reason: str) -> Decision:
    return Decision(
        recipe=playing,
        duration_s=0.0,
        phase="safety-stop",
        rule="safety-stop",
        reason=reason,
        stop=True,
        alert=reason,
        fade_out_s=SAFETY_FADE_S,
    )


def step_back(
    hold: Recipe, reason: str, elapsed_s: float, boundaries: list[float], session_s: float
) -> Decision | None:
    """Play `hold` from now to the first boundary at least MIN_HOLD_S away (None: no time
    left)."""
    later = [b for b in boundaries if b >= elapsed_s + MIN_HOLD_S]
    end = later[0] if later else session_s
    decision = Decision(
        recipe=hold,
        duration_s=max(end - elapsed_s, 0.0),
        phase="safety-hold",
        rule="safety-step-back",
        reason=f"{reason}: {hold.describe()}",
        stop=end >= session_s - 1e-6,
    )
    return decision if decision.duration_s > 0 else None


def held(
    hold: Recipe, elapsed_s: float, session_s: float, boundaries: list[float], segment_s: float
) -> Decision:
    """After a step back the calm music holds, segment by segment, until the end."""
    if elapsed_s >= session_s - 1e-6:
        return Decision(hold, 0.0, "end", "session-end", "session length reached", stop=True)
    duration = rule.segment_duration(elapsed_s, boundaries, segment_s)
    return Decision(
        recipe=hold.with_(seed=hold.seed + 1),
        duration_s=duration,
        phase="safety-hold",
        rule="safety-hold",
        reason=f"holding calm after a safety step back: {hold.describe()}",
        stop=elapsed_s + duration >= session_s - 1e-6,
    )
