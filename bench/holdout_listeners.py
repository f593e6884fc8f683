"""Held-out virtual listeners: a population the adaptive policy is never tuned on.

Structurally different from the built-in population (appliance/simulate/population.py), so a
policy that only fits that population's quirks shows it here:

- preferences that interact: an instrument liked only in the major mode; a timbre that calms
  only in the sparse texture;
- entrainment: music whose tempo is near the listener's own heart rate calms beyond the
  absolute tempo effect (rapport; the iso principle's premise);
- a strong personal-music lover, and a listener to whom the clinical default (piano) is
  unpleasant;
- habituation: the same instrument played on and on grows tiresome within a session, a change
  refreshes;
- a listener calmed by the minor mode, one whose taste drifts gradually over the sessions;
- a wider spread of effect sizes, time constants (40-320 s) and noise than the built-in one,
  and a few constraints (quiet, no personal music, no minor) and a sleep goal.

Use: `attune simulate --listener-model bench/holdout_listeners.py:make_listener`.
Roles by `index % 10` (see ROLES). Deterministic in (index, session, seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from appliance.music.recipe import INSTRUMENTS, Recipe
from appliance.simulate.listener import GRID_S, ListenerTraits, VirtualListener
from appliance.simulate.response import (
    AROUSAL_CEILING,
    AROUSAL_FLOOR,
    loudness_effect,
    tempo_effect,
)

FAMILIES = tuple(INSTRUMENTS)
ROLES = {
    0: "an instrument liked only in major (disliked in minor)",
    1: "entrains: music near their heart rate calms",
    2: "loves their own music",
    3: "habituates to the same instrument within a session",
    4: "a timbre that calms only when sparse; quiet constraint",
    5: "the minor mode calms them",
    6: "slow, noisy responder; sleep goal",
    7: "finds the clinical default (piano) unpleasant; fast responder",
    8: "no personal music; loudness-sensitive",
    9: "taste drifts gradually across sessions; no minor",
}
PROFILES: dict[int, dict[str, object]] = {
    4: {"goal": "relax", "constraint": "quiet"},
    6: {"goal": "sleep", "constraint": "none"},
    8: {"goal": "relax", "constraint": "no_personal"},
    9: {"goal": "relax", "constraint": "no_minor"},
}
ENTRAINMENT_EFFECT = -0.12  # arousal offset when the tempo matches the heart rate exactly
ENTRAINMENT_WIDTH_BPM = 8.0  # how quickly the rapport fades as tempo and HR part
HABITUATION_EFFECT = 0.18  # arousal added by long exposure to one instrument
HABITUATION_TAU_S = 420.0  # exposure builds up on this time scale…
RECOVERY_TAU_S = 240.0  # …and wears off on this one while another instrument plays


@dataclass
class HeldOutResponse:
    """The arousal a held-out listener drifts towards while hearing a recipe (a ResponseFn).

    Called once per simulation grid step, in time order: it follows its own noiseless copy of
    the listener's arousal (for entrainment) and the exposure to each instrument (for
    habituation)."""

    role: int
    instrument: dict[str, float] = field(default_factory=dict)
    minor: float = 0.0
    density_gain: float = 0.4
    personal: float = 0.0
    music_gain: float = 1.0
    loudness_gain: float = 1.0
    liked_in_major: str | None = None
    sparse_only: str | None = None
    _arousal: float | None = field(default=None, init=False)
    _exposure: dict[str, float] = field(default_factory=dict, init=False)

    def __call__(self, recipe: Recipe | None, traits: ListenerTraits) -> float:
        if self._arousal is None:
            self._arousal = traits.start_arousal
        level = self._target(recipe, traits)
        self._arousal = level + (self._arousal - level) * math.exp(-GRID_S / traits.tau_s)
        return level

    def _target(self, recipe: Recipe | None, traits: ListenerTraits) -> float:
        if recipe is None or recipe.source == "silence":
            self._habituate(None)
            return traits.rest_arousal
        effect = tempo_effect(recipe, traits) + self.loudness_gain * loudness_effect(recipe, traits)
        if recipe.source == "file":
            self._habituate("personal")
            effect += self.personal
        else:
            effect += self.density_gain * (recipe.density - 0.5)
            effect += self.instrument.get(recipe.instrument, 0.0)
            effect += self.minor if recipe.mode == "minor" else 0.0
            if recipe.instrument == self.liked_in_major:
                effect += -0.16 if recipe.mode == "major" else 0.12
            if recipe.instrument == self.sparse_only:
                effect += -0.15 if recipe.density < 0.2 else 0.05
            exposure = self._habituate(recipe.instrument)
            if self.role == 3:
                effect += HABITUATION_EFFECT * (1.0 - math.exp(-exposure / HABITUATION_TAU_S))
        if self.role == 1:
            hr = traits.baseline_hr_bpm + traits.hr_gain_bpm * (self._arousal or 0.0)
            gap = (recipe.tempo_bpm - hr) / ENTRAINMENT_WIDTH_BPM
            effect += ENTRAINMENT_EFFECT * math.exp(-0.5 * gap * gap)
        level = traits.rest_arousal + self.music_gain * effect
        return float(np.clip(level, AROUSAL_FLOOR, AROUSAL_CEILING))

    def _habituate(self, playing: str | None) -> float:
        recover = math.exp(-GRID_S / RECOVERY_TAU_S)
        for name in self._exposure:
            if name != playing:
                self._exposure[name] *= recover
        if playing is None:
            return 0.0
        self._exposure[playing] = self._exposure.get(playing, 0.0) + GRID_S
        return self._exposure[playing]


def preferences(index: int, session: int, seed: int) -> HeldOutResponse:
    rng = np.random.default_rng([seed, index, 501])
    role = index % 10
    spread = float(rng.uniform(0.02, 0.12))  # some people care about timbre, some hardly
    prefs = HeldOutResponse(
        role=role,
        instrument={f: float(rng.normal(0.0, spread)) for f in FAMILIES},
        minor=float(rng.normal(0.02, 0.05)),
        density_gain=float(rng.uniform(-0.1, 0.9)),
        personal=float(rng.normal(0.0, 0.05)),
        music_gain=float(rng.choice([0.3, 1.0, 1.0, 1.0, 1.4])),
        loudness_gain=float(rng.uniform(0.5, 1.5)),
    )
    if role == 0:
        prefs.liked_in_major = FAMILIES[int(rng.integers(len(FAMILIES)))]
    elif role == 2:
        prefs.personal = -0.3
    elif role == 4:
        prefs.sparse_only = FAMILIES[int(rng.integers(len(FAMILIES)))]
        prefs.density_gain = 0.8
    elif role == 5:
        prefs.minor = -0.12
    elif role == 7:
        prefs.instrument["piano"] = 0.16
    elif role == 8:
        prefs.loudness_gain = 2.5
    elif role == 9:
        # Each session one step further from the first favourite towards another family.
        start, end = rng.choice(len(FAMILIES), size=2, replace=False)
        w = min(session / 9.0, 1.0)
        prefs.instrument[FAMILIES[start]] -= 0.15 * (1.0 - w)
        prefs.instrument[FAMILIES[end]] -= 0.15 * w
    if role in (0, 2, 3, 5, 7, 9):
        prefs.music_gain = max(prefs.music_gain, 1.0)  # their one trait must show
    return prefs


def traits(index: int, session: int, seed: int) -> ListenerTraits:
    rng = np.random.default_rng([seed, index, 502])  # the person
    day = np.random.default_rng([seed, index, 503, session])  # how they arrive today
    role = index % 10
    tau = {6: 320.0, 7: 40.0}.get(role, float(rng.uniform(60, 260)))
    noise = 2.0 if role == 6 else 1.0
    return ListenerTraits(
        baseline_hr_bpm=float(rng.uniform(50, 85)),
        hr_gain_bpm=float(rng.uniform(18, 50)),
        baseline_rmssd_ms=float(rng.uniform(12, 80)),
        baseline_scl_us=float(rng.uniform(0.8, 12.0)),
        scl_gain=float(rng.uniform(1.0, 8.0)),
        scr_rate_gain=float(rng.uniform(2.0, 12.0)),
        breathing_rate_bpm=float(rng.uniform(8, 18)),
        tau_s=tau,
        start_arousal=float(day.uniform(0.4, 0.95)),
        rest_arousal=float(rng.uniform(0.35, 0.6)),
        tempo_sensitivity=float(rng.uniform(0.3, 2.0)),
        arousal_noise=noise * float(rng.uniform(0.002, 0.012)),
        hr_jitter_ms=noise * float(rng.uniform(2, 12)),
        eda_noise_us=noise * float(rng.uniform(0.002, 0.04)),
        seed=int(day.integers(1 << 31)),
    )


def make_listener(index: int, session: int, seed: int) -> VirtualListener:
    """Held-out listener `index` on their `session`-th session (the documented factory)."""
    listener = VirtualListener(traits(index, session, seed), preferences(index, session, seed))
    profile = PROFILES.get(index % 10, {"goal": "relax", "constraint": "none"})
    listener.profile = dict(profile)  # type: ignore[attr-defined]
    return listener
