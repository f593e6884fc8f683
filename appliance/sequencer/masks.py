"""What the masks let a policy play at a step: constraint, quarantine and the step rules.

The listener's one constraint and their quarantined music are hard masks; the step rules (at
most two parameters change, tempo steps ≤ 10 BPM, no louder or busier while calming, the
trough's 60-80 BPM, no vocals at the bottom of the arc) hold for whatever arm is chosen.
"""

from __future__ import annotations

from appliance.music.recipe import Recipe
from appliance.sequencer import arms as A
from appliance.sequencer import steps as rule
from appliance.sequencer.decision import Decision
from appliance.sequencer.profile import QUIET_CAP_DB, SequencerProfile

NO_VOCALS_PHASES = frozenset({"trough", "plateau", "fade", "steady", "safety-hold"})


def cap(recipe: Recipe, profile: SequencerProfile) -> Recipe:
    """The "quiet" constraint's loudness cap."""
    if profile.constraint == "quiet" and recipe.loudness_db > QUIET_CAP_DB:
        return recipe.with_(loudness_db=QUIET_CAP_DB)
    return recipe


def constraint_allows(arm: A.Arm, constraint: str) -> bool:
    if constraint == "no_minor" and arm.mode != "major":
        return False  # a personal track's mode is unknown: not under "no minor"
    if constraint == "no_personal" and arm.source == A.PERSONAL:
        return False
    return not (constraint == "no_generated" and arm.source != A.PERSONAL)


def fits(previous: Recipe | None, recipe: Recipe, phase: str, quarantined: set[str]) -> bool:
    """May `recipe` follow `previous` in `phase`?"""
    if A.music_key(recipe) in quarantined:
        return False
    if phase in ("trough", "plateau") and not (
        rule.TROUGH_TEMPO_BPM <= recipe.tempo_bpm <= rule.TROUGH_TEMPO_MAX_BPM
    ):
        return False  # a personal track too keeps the trough's 60-80 BPM
    if previous is None:
        return True
    if len(rule.changed_parameters(previous, recipe)) > rule.MAX_CHANGES_PER_STEP:
        return False
    if abs(recipe.tempo_bpm - previous.tempo_bpm) > rule.MAX_TEMPO_STEP_BPM + 1e-9:
        return False
    # No crescendo, no busier texture while calming (Bernardi 2009).
    return phase not in rule.NON_RISING_PHASES or (
        recipe.loudness_db <= previous.loudness_db + 1e-9
        and recipe.density <= previous.density + 1e-9
    )


def allowed_arms(
    base: Decision,
    previous: Recipe | None,
    previous_base: Recipe | None,
    *,
    profile: SequencerProfile,
    quarantined: set[str],
    library: A.PersonalLibrary | None,
    arms: tuple[A.Arm, ...] = A.ALL_ARMS,
) -> dict[A.Arm, tuple[Recipe, Recipe]]:
    """Arm → (the recipe it plays, the rules' recipe as followed) for every arm (of `arms`)
    the masks let through. `base` is the rules' decision for this step, `previous` what is
    playing, `previous_base` the rules' recipe as followed last step."""
    constraint = profile.constraint
    allow_vocals = constraint != "no_vocals" and base.phase not in NO_VOCALS_PHASES
    # A track with no clear pulse cannot follow a changing tempo: only where the arc holds.
    holds_tempo = previous_base is not None and base.recipe.tempo_bpm == previous_base.tempo_bpm
    out: dict[A.Arm, tuple[Recipe, Recipe]] = {}
    for arm in arms:
        if not constraint_allows(arm, constraint):
            continue
        candidates = [base.recipe]
        if previous_base is not None and base.phase != "fade":
            # Without the rules' secondary step, an arm change may still fit in two changes.
            candidates.append(
                base.recipe.with_(
                    density=previous_base.density, loudness_db=previous_base.loudness_db
                )
            )
        for used in candidates:
            recipe = A.apply_arm(used, arm, library=library, allow_vocals=allow_vocals,
                                 previous=previous, holds_tempo=holds_tempo)  # fmt: skip
            if recipe is None:
                break
            recipe = cap(recipe, profile)
            if fits(previous, recipe, base.phase, quarantined):
                out[arm] = (recipe, used)
                break
    return out
