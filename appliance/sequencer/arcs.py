"""Session arcs: the arousal a goal aims for over the music part of a session.

Levels are relative: 1.0 is the state at iso entry (the end of calibration), 0.0 the deepest
calm the arc aims for; a J (waking) rises above 1.0. The sequencer turns them into absolute
arousal and tempo targets.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.vocabulary import GOALS

# Relax is Music Care's U-sequence (Guétin et al. 2009, Ann Réadapt Méd Phys 52:30; after
# Guétin 2003): a descending phase over ~60 % of the session, a trough at the lowest level for
# ~25 %, then a gentle rise over ~15 % so the listener leaves alert, not drowsy.
RELAX_DESCEND_END = 0.60
RELAX_TROUGH_END = 0.85
RELAX_RISE_LEVEL = 0.4  # the rise returns part of the way, never to the entry state

# Sleep is an L: descend, hold low, then fade to near-silence (no rise, which would wake).
SLEEP_DESCEND_END = 0.55
SLEEP_FADE_SHARE = 0.20  # of the arc, and never shorter than SLEEP_MIN_FADE_S
SLEEP_MIN_FADE_S = 60.0

# Waking and recovery are a J: a short settling dip from the entry state, then a long gentle
# rise above it, so the listener leaves more alert than they came (the energising sequence of
# the U-sequence method, Guétin 2009 as above; stimulative music raises arousal, Bernardi 2006).
J_DIP_END = 0.25
J_DIP_LEVEL = 0.8
J_TOP_LEVEL = 1.35

# Focus is a steady moderate plateau: settle from the entry state to a middle level, then hold
# it (moderate arousal suits sustained attention: the Yerkes-Dodson inverted U).
FOCUS_SETTLE_END = 0.3
FOCUS_LEVEL = 0.5


@dataclass(frozen=True)
class ArcPhase:
    name: str
    start: float  # fraction of the arc
    end: float


def phases(goal: str, arc_s: float | None = None) -> tuple[ArcPhase, ...]:
    """The goal's phases in order, as fractions of the arc (arc_s makes the sleep fade last at
    least SLEEP_MIN_FADE_S)."""
    if goal == "relax":
        return (
            ArcPhase("descend", 0.0, RELAX_DESCEND_END),
            ArcPhase("trough", RELAX_DESCEND_END, RELAX_TROUGH_END),
            ArcPhase("rise", RELAX_TROUGH_END, 1.0),
        )
    if goal == "sleep":
        fade_share = SLEEP_FADE_SHARE
        if arc_s is not None and arc_s > 0:
            fade_share = min(1.0, max(fade_share, SLEEP_MIN_FADE_S / arc_s))
        fade_start = 1.0 - fade_share
        descend_end = min(SLEEP_DESCEND_END, fade_start)
        return (
            ArcPhase("descend", 0.0, descend_end),
            ArcPhase("plateau", descend_end, fade_start),
            ArcPhase("fade", fade_start, 1.0),
        )
    if goal in ("wake", "recovery"):
        return (ArcPhase("dip", 0.0, J_DIP_END), ArcPhase("rise", J_DIP_END, 1.0))
    if goal == "focus":
        return (
            ArcPhase("settle", 0.0, FOCUS_SETTLE_END),
            ArcPhase("steady", FOCUS_SETTLE_END, 1.0),
        )
    raise ValueError(f"goal {goal!r} is not one of {', '.join(GOALS)}")


def phase_at(goal: str, fraction: float, arc_s: float | None = None) -> ArcPhase:
    fraction = min(max(fraction, 0.0), 1.0)
    found = [p for p in phases(goal, arc_s) if p.end > p.start]
    for p in found:
        if fraction < p.end:
            return p
    return found[-1]


def target_arousal(goal: str, fraction: float, arc_s: float | None = None) -> tuple[float, str]:
    """(relative target level, phase name) at `fraction` (0..1) of the arc."""
    fraction = min(max(fraction, 0.0), 1.0)
    p = phase_at(goal, fraction, arc_s)
    within = (fraction - p.start) / (p.end - p.start) if p.end > p.start else 1.0
    if p.name == "descend":
        return 1.0 - within, p.name  # linear: steady, predictable steps
    if p.name == "dip":
        return 1.0 - (1.0 - J_DIP_LEVEL) * within, p.name
    if p.name == "settle":
        return 1.0 - (1.0 - FOCUS_LEVEL) * within, p.name
    if p.name == "steady":
        return FOCUS_LEVEL, p.name
    if p.name == "rise" and goal in ("wake", "recovery"):
        return J_DIP_LEVEL + (J_TOP_LEVEL - J_DIP_LEVEL) * within, p.name
    if p.name == "rise":
        return RELAX_RISE_LEVEL * within, p.name
    return 0.0, p.name  # trough, plateau and fade stay at the bottom
