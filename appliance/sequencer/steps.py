"""Small rules the sequencer composes: each says what is allowed and cites why.

Pure functions of recipes and numbers, so a policy (the rules' default or a bandit) can ask
what is allowed before choosing, and tests can check each rule on its own.
"""

from __future__ import annotations

from appliance.music.recipe import Recipe

CALIBRATION_TEMPO_BPM = 70.0  # iso-neutral: about a resting heart rate
CALIBRATION_DENSITY = 0.3
CALIBRATION_LOUDNESS_DB = -24.0
ISO_TEMPO_MIN_BPM, ISO_TEMPO_MAX_BPM = 60.0, 100.0
MAX_TEMPO_STEP_BPM = 10.0
TROUGH_TEMPO_BPM = 60.0
TROUGH_TEMPO_MAX_BPM = 80.0
DENSITY_STEP = 0.1
LOUDNESS_STEP_DB = 2.0
FADE_LOUDNESS_STEP_DB = 8.0
J_TEMPO_PER_LEVEL_BPM = 40.0  # a J's rise above the entry: level 1.35 → entry + 14 BPM
RISE_TEMPO_MAX_BPM = 100.0  # waking music stays music for resting people, not a workout
FOCUS_TEMPO_MIN_BPM, FOCUS_TEMPO_MAX_BPM = 70.0, 85.0

# Where the secondary parameters head in each phase.
SECONDARY_TARGETS: dict[str, dict[str, float]] = {
    "iso": {},
    "descend": {"density": 0.2, "loudness_db": -28.0},
    "trough": {"density": 0.2, "loudness_db": -28.0},
    "plateau": {"density": 0.15, "loudness_db": -30.0},
    "rise": {"density": 0.35, "loudness_db": -24.0},
    "fade": {"loudness_db": -40.0},  # only softer: the fade is about level
    "dip": {"density": 0.3, "loudness_db": -26.0},
    "settle": {"density": 0.3, "loudness_db": -26.0},
    "steady": {"density": 0.3, "loudness_db": -26.0},
}
# Phases during which nothing may get louder or busier.
NON_RISING_PHASES = frozenset(
    {"calibration", "iso", "descend", "trough", "plateau", "fade", "dip", "settle", "steady"}
)
# The parameters a listener hears change; `seed` (the generator's variation) is not one.
MUSICAL_PARAMETERS = (
    "tempo_bpm",
    "key",
    "mode",
    "density",
    "instrument",
    "loudness_db",
    "vocals",
    "source",
)
MAX_CHANGES_PER_STEP = 2


def iso_tempo(hr_bpm: float | None, arousal: float | None) -> tuple[float, str]:
    """The iso principle (Altshuler 1948): first match the music to the listener's present
    state, then lead. Tempo ≈ heart rate, clamped to what still sounds like calm music; without
    a heart rate, arousal 0..1 maps onto the same range."""
    if hr_bpm is not None and hr_bpm > 0:
        tempo = min(max(hr_bpm, ISO_TEMPO_MIN_BPM), ISO_TEMPO_MAX_BPM)
        return float(round(tempo)), f"HR {hr_bpm:.0f} bpm"
    if arousal is not None:
        a = min(max(arousal, 0.0), 1.0)
        tempo = ISO_TEMPO_MIN_BPM + a * (ISO_TEMPO_MAX_BPM - ISO_TEMPO_MIN_BPM)
        return float(round(tempo)), f"arousal {a:.2f}"
    return CALIBRATION_TEMPO_BPM, "no measurement"


def step_tempo(previous_bpm: float, target_bpm: float) -> float:
    """Move towards the target by at most MAX_TEMPO_STEP_BPM: gradual entrainment, no jolts
    (Bernardi 2006: abrupt tempo changes arouse; iso-principle stepwise leading)."""
    delta = min(max(target_bpm - previous_bpm, -MAX_TEMPO_STEP_BPM), MAX_TEMPO_STEP_BPM)
    return float(round(previous_bpm + delta))


def low_phase_tempo(target_bpm: float) -> float:
    """Trough/plateau/fade tempo in 60-80 BPM: slow enough to calm, a steady pulse rather than
    none (Bernardi 2006: slow music at ~60-70 BPM lowers HR and breathing)."""
    return min(max(target_bpm, TROUGH_TEMPO_BPM), TROUGH_TEMPO_MAX_BPM)


def arc_tempo(level: float, entry_bpm: float) -> float:
    """Tempo for a relative arc level: 1 → the iso entry tempo, 0 → the trough tempo."""
    return TROUGH_TEMPO_BPM + level * max(entry_bpm - TROUGH_TEMPO_BPM, 0.0)


def goal_tempo(goal: str, level: float, entry_bpm: float) -> float:
    """Tempo for an arc level of any goal: below 1 as arc_tempo; a J's rise above 1 climbs from
    the entry tempo (capped); focus keeps a moderate pulse whatever the entry was."""
    if level > 1.0:
        return min(entry_bpm + (level - 1.0) * J_TEMPO_PER_LEVEL_BPM, RISE_TEMPO_MAX_BPM)
    tempo = arc_tempo(level, entry_bpm)
    if goal == "focus":
        return min(max(tempo, FOCUS_TEMPO_MIN_BPM), FOCUS_TEMPO_MAX_BPM)
    return tempo


def secondary_step(previous: Recipe, phase: str) -> tuple[str, float] | None:
    """At most one of density/loudness moves per segment, the one furthest from its target in
    step units; one change at a time keeps the music coherent and its effect attributable."""
    targets = SECONDARY_TARGETS.get(phase, {})
    steps = {"density": DENSITY_STEP, "loudness_db": _loudness_step(phase)}
    best: tuple[float, str, float] | None = None
    for name, target in targets.items():
        current = float(getattr(previous, name))
        gap = target - current
        if phase in NON_RISING_PHASES and gap > 0:
            continue  # never louder or busier while calming
        if abs(gap) < 1e-9:
            continue
        size = steps[name]
        new = current + max(-size, min(size, gap))
        if best is None or abs(gap) / size > best[0]:
            best = (abs(gap) / size, name, round(new, 2))
    return None if best is None else (best[1], best[2])


def _loudness_step(phase: str) -> float:
    return FADE_LOUDNESS_STEP_DB if phase == "fade" else LOUDNESS_STEP_DB


def no_louder_while_calming(previous: Recipe, proposed: Recipe, phase: str) -> Recipe:
    """No loudness increase while descending or at the trough: crescendos raise HR and blood
    pressure even in slow music (Bernardi et al. 2009, Circulation 119:3171)."""
    if phase in NON_RISING_PHASES and proposed.loudness_db > previous.loudness_db:
        return proposed.with_(loudness_db=previous.loudness_db)
    return proposed


def low_phase_recipe(recipe: Recipe, phase: str) -> Recipe:
    """At the bottom of the arc: no vocals (lyrics draw attention), a steady slow pulse."""
    if phase in ("trough", "plateau", "fade", "steady"):
        return recipe.with_(vocals=False)
    return recipe


def changed_parameters(a: Recipe, b: Recipe) -> list[str]:
    return [p for p in MUSICAL_PARAMETERS if getattr(a, p) != getattr(b, p)]


def segment_duration(elapsed_s: float, boundaries_s: list[float], segment_s: float) -> float:
    """Segments run segment_s but end exactly at the next phase boundary or the session's end;
    a remainder shorter than a quarter segment joins the segment before it instead of playing
    as a fragment."""
    upcoming = [b for b in boundaries_s if b > elapsed_s + 1e-6]
    if not upcoming:
        return 0.0
    remaining = upcoming[0] - elapsed_s
    if remaining <= 1.25 * segment_s:
        return remaining
    return segment_s
