"""How a virtual listener's arousal responds to music: the level it drifts towards.

Each effect is one small function citing where its direction comes from; the sizes are our
modelling choices (plausible, not fitted). Populations of listeners with hidden preferences
pass their own `ResponseFn` to VirtualListener, or vary the traits these functions read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from appliance.music.recipe import Recipe
from appliance.simulate.traits import ListenerTraits

ResponseFn = Callable[[Recipe | None, ListenerTraits], float]

RESTING_TEMPO_BPM = 65.0  # tempo that neither excites nor calms (about a resting heart rate)
TEMPO_EFFECT_PER_60_BPM = 0.35  # arousal change for 60 BPM above the resting tempo
LOUDNESS_NEUTRAL_DB = -20.0
LOUDNESS_EFFECT_PER_10_DB = 0.10
DENSITY_NEUTRAL = 0.5
DENSITY_EFFECT = 0.40  # arousal change from density 0 to 1
PREFERRED_INSTRUMENT_EFFECT = -0.10
DISLIKED_MINOR_EFFECT = 0.10
AROUSAL_FLOOR, AROUSAL_CEILING = 0.02, 0.98


def tempo_effect(recipe: Recipe, traits: ListenerTraits) -> float:
    # Faster tempo raises HR, breathing rate and blood pressure; slow tempo lowers them
    # (Bernardi, Porta & Sleight 2006, Heart 92:445).
    delta = (recipe.tempo_bpm - RESTING_TEMPO_BPM) / 60.0
    return traits.tempo_sensitivity * TEMPO_EFFECT_PER_60_BPM * delta


def loudness_effect(recipe: Recipe, traits: ListenerTraits) -> float:
    # Louder music is more arousing; crescendos raise HR and skin vasoconstriction
    # (Bernardi et al. 2009, Circulation 119:3171).
    return LOUDNESS_EFFECT_PER_10_DB * (recipe.loudness_db - LOUDNESS_NEUTRAL_DB) / 10.0


def density_effect(recipe: Recipe, traits: ListenerTraits) -> float:
    # Rhythmic and textural complexity raises arousal; sparse, simple textures relax
    # (Bernardi 2006: staccato/complex styles above slow meditative ones).
    return DENSITY_EFFECT * (recipe.density - DENSITY_NEUTRAL)


def preference_effect(recipe: Recipe, traits: ListenerTraits) -> float:
    # Self-selected/preferred music lowers stress more than music chosen for the listener
    # (Jiang et al. 2013, Psychology of Music 41:1; Thoma et al. 2013, PLoS ONE 8:e70156).
    return PREFERRED_INSTRUMENT_EFFECT if recipe.instrument in traits.preferred_instruments else 0.0


def mode_effect(recipe: Recipe, traits: ListenerTraits) -> float:
    # Disliked music raises arousal and stress (Thoma 2013 as above); here: the minor mode for
    # listeners who dislike it.
    return DISLIKED_MINOR_EFFECT if traits.dislikes_minor and recipe.mode == "minor" else 0.0


MUSIC_EFFECTS = (tempo_effect, loudness_effect, density_effect, preference_effect, mode_effect)


def music_target_arousal(recipe: Recipe | None, traits: ListenerTraits) -> float:
    """The arousal a listener drifts towards while hearing `recipe` (None: silence)."""
    if recipe is None or recipe.source == "silence":
        # In quiet the listener settles to their own resting level.
        return traits.rest_arousal
    level = traits.rest_arousal + sum(effect(recipe, traits) for effect in MUSIC_EFFECTS)
    return float(np.clip(level, AROUSAL_FLOOR, AROUSAL_CEILING))
