"""A built-in population of virtual listeners with hidden, different preferences.

Each listener responds to tempo, loudness and density as response.py says, scaled by their own
sensitivity, plus hidden likes and dislikes: instrument families, the minor mode, sparse or full
textures, their own (personal) music. Some barely respond to music at all; one reacts badly to
minor keys; one changes their favourite timbre half-way through the sessions. Physiology
varies too: an age band with resting HR and RMSSD drawn from the published norms for it
(resting.py), HR gain, time constant, skin conductance, noise and artefacts.

A listener model factory has the signature FACTORY(index, session, seed) -> listener (see
docs/listener-models.md); `builtin` is this module's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from appliance.music.recipe import INSTRUMENTS, Recipe
from appliance.simulate.listener import VirtualListener
from appliance.simulate.response import (
    AROUSAL_CEILING,
    AROUSAL_FLOOR,
    loudness_effect,
    tempo_effect,
)
from appliance.simulate.resting import RestingHeart, resting_heart
from appliance.simulate.traits import ListenerTraits

FAMILIES = tuple(INSTRUMENTS)
DRIFT_SESSION = 5  # the drifting listener's favourite changes from this session on
NON_RESPONDER_GAIN = 0.15
MINOR_AVERSE_EFFECT = 0.22  # arousal added by minor keys for the listener who dislikes them


@dataclass
class HiddenPreferences:
    """What a listener likes, unknown to the device; effects are arousal offsets (- calms)."""

    instrument: dict[str, float] = field(default_factory=dict)
    minor: float = 0.0
    density_gain: float = 0.4  # arousal per unit density (negative: sparse music unsettles)
    personal: float = 0.0
    music_gain: float = 1.0  # how much music moves them at all (non-responders ~0.15)

    def __call__(self, recipe: Recipe | None, traits: ListenerTraits) -> float:
        """The arousal the listener drifts towards while hearing `recipe` (a ResponseFn)."""
        if recipe is None or recipe.source == "silence":
            return traits.rest_arousal
        effect = tempo_effect(recipe, traits) + loudness_effect(recipe, traits)
        if recipe.source == "file":
            effect += self.personal
        else:
            effect += self.density_gain * (recipe.density - 0.5)
            effect += self.instrument.get(recipe.instrument, 0.0)
            effect += self.minor if recipe.mode == "minor" else 0.0
        level = traits.rest_arousal + self.music_gain * effect
        return float(np.clip(level, AROUSAL_FLOOR, AROUSAL_CEILING))


def hidden_preferences(index: int, session: int, seed: int) -> HiddenPreferences:
    rng = np.random.default_rng([seed, index, 1])
    # Sizes: preferred against disliked music moves stress markers by about as much as slow
    # against fast music does (Jiang et al. 2013; Thoma et al. 2013), hence effects of the
    # order of the tempo effect across the arc (~0.1-0.2 arousal).
    instrument = {f: float(rng.normal(0.0, 0.06)) for f in FAMILIES}
    favourite = FAMILIES[int(rng.integers(len(FAMILIES)))]
    instrument[favourite] -= 0.15
    disliked = FAMILIES[int(rng.integers(len(FAMILIES)))]
    if disliked != favourite:
        instrument[disliked] += 0.12
    prefs = HiddenPreferences(
        instrument=instrument,
        minor=float(rng.normal(0.0, 0.07)),
        density_gain=float(rng.uniform(-0.3, 0.7)),
        personal=float(rng.normal(-0.06, 0.09)),
        music_gain=NON_RESPONDER_GAIN if rng.random() < 0.1 else 1.0,
    )
    role = index % 10
    if role in (0, 1):
        prefs.music_gain = 1.0  # their one trait must show
    if role == 0:  # reacts badly to minor keys
        prefs.minor = MINOR_AVERSE_EFFECT
    elif role == 1 and session >= DRIFT_SESSION:  # their taste drifts: a new favourite
        old = min(prefs.instrument, key=prefs.instrument.__getitem__)
        new = FAMILIES[(FAMILIES.index(old) + 3) % len(FAMILIES)]
        prefs.instrument[old], prefs.instrument[new] = prefs.instrument[new], prefs.instrument[old]
    elif role == 2:  # music hardly moves them
        prefs.music_gain = NON_RESPONDER_GAIN
    return prefs


def _heart(index: int, seed: int, rest_arousal: float) -> RestingHeart:
    return resting_heart(np.random.default_rng([seed, index, 4]), rest_arousal)


def age_band_for(index: int, seed: int) -> str:
    """The listener's age band, as their profile would carry it (never a birth date)."""
    return _heart(index, seed, 0.5).age_band  # the band does not depend on rest_arousal


def traits_for(index: int, session: int, seed: int) -> ListenerTraits:
    rng = np.random.default_rng([seed, index, 2])  # the person: fixed across sessions
    day = np.random.default_rng([seed, index, 3, session])  # how they arrive today
    rest_arousal = float(rng.uniform(0.4, 0.55))
    heart = _heart(index, seed, rest_arousal)  # resting HR and RMSSD by age band, as published
    return ListenerTraits(
        baseline_hr_bpm=heart.baseline_hr_bpm,
        hr_gain_bpm=heart.hr_gain_bpm,
        baseline_rmssd_ms=heart.baseline_rmssd_ms,
        baseline_scl_us=float(rng.uniform(1.5, 8.0)),
        scl_gain=float(rng.uniform(2.0, 6.0)),
        scr_rate_gain=float(rng.uniform(4.0, 10.0)),
        breathing_rate_bpm=float(rng.uniform(10, 15)),
        tau_s=float(rng.uniform(80, 200)),
        start_arousal=float(day.uniform(0.5, 0.85)),
        rest_arousal=rest_arousal,
        tempo_sensitivity=float(rng.uniform(0.5, 1.6)),
        arousal_noise=float(rng.uniform(0.003, 0.008)),
        hr_jitter_ms=float(rng.uniform(3, 8)),
        eda_noise_us=float(rng.uniform(0.003, 0.02)),
        seed=int(day.integers(1 << 31)),
    )


PROFILES: dict[int, dict[str, object]] = {
    3: {"goal": "relax", "constraint": "no_personal"},
    5: {"goal": "relax", "constraint": "quiet"},
    6: {"goal": "relax", "constraint": "no_minor", "dementia": True},
    8: {"goal": "relax", "constraint": "no_vocals", "breathing_guide": True},
}


def builtin(index: int, session: int, seed: int) -> VirtualListener:
    """The built-in population's listener `index` on their `session`-th session."""
    listener = VirtualListener(
        traits_for(index, session, seed), hidden_preferences(index, session, seed)
    )
    listener.profile = dict(PROFILES.get(index % 10, {"goal": "relax", "constraint": "none"}))  # type: ignore[attr-defined]
    listener.age_band = age_band_for(index, seed)  # type: ignore[attr-defined]
    return listener


OWN_MUSIC_TURN_SESSION = 5  # own_music_turns: their own music agitates from this session on
OWN_MUSIC_EFFECT = 0.2


def own_music_turns(index: int, session: int, seed: int) -> VirtualListener:
    """A listener whose own familiar music calms them for five sessions and then agitates
    them (a bereavement, a change of mood): the sequencer must notice and explore again."""
    turned = session >= OWN_MUSIC_TURN_SESSION
    prefs = HiddenPreferences(
        instrument={}, density_gain=0.2, personal=OWN_MUSIC_EFFECT if turned else -OWN_MUSIC_EFFECT
    )
    listener = VirtualListener(traits_for(index, session, seed), prefs)
    listener.profile = {"goal": "relax", "constraint": "none"}  # type: ignore[attr-defined]
    listener.personal_families = ("familiar",)  # type: ignore[attr-defined]
    listener.age_band = age_band_for(index, seed)  # type: ignore[attr-defined]
    return listener
