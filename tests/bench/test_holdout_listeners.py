"""The held-out listener models: the documented interface, determinism, and the structural
traits that set them apart from the built-in population."""

from __future__ import annotations

import numpy as np

from appliance.music.recipe import Recipe
from appliance.simulate.harness import load_factory
from appliance.simulate.listener import GRID_S, ListenerTraits
from bench.holdout_listeners import HeldOutResponse, make_listener, preferences

SPEC = "bench/holdout_listeners.py:make_listener"
CALM = Recipe(tempo_bpm=64.0, density=0.3, loudness_db=-26.0)


def test_it_loads_as_a_listener_model_and_is_deterministic() -> None:
    factory = load_factory(SPEC)
    a, b = factory(3, 2, 7), factory(3, 2, 7)
    for listener in (a, b):
        listener.hear(CALM, 0.0)
    assert np.array_equal(a.beat_times_between(0, 60), b.beat_times_between(0, 60))
    assert a.true_arousal(60.0) == b.true_arousal(60.0)
    assert np.allclose(a.conductance(np.arange(0, 5, 0.125)), b.conductance(np.arange(0, 5, 0.125)))
    assert make_listener(4, 0, 1).profile == {"goal": "relax", "constraint": "quiet"}
    assert make_listener(6, 0, 1).profile["goal"] == "sleep"


def test_a_liked_instrument_calms_only_in_major() -> None:
    assert preferences(0, 0, 1).liked_in_major is not None  # role 0 has one
    traits = ListenerTraits()
    listener = HeldOutResponse(role=0, liked_in_major="strings")
    strings = CALM.with_(instrument="strings")
    harp_major = listener(CALM.with_(instrument="harp"), traits)
    harp_minor = listener(CALM.with_(instrument="harp", mode="minor"), traits)
    assert harp_major == harp_minor  # no mode preference of its own
    assert listener(strings, traits) < harp_major - 0.1
    assert listener(strings.with_(mode="minor"), traits) > harp_minor + 0.1


def test_music_near_the_heart_rate_calms_an_entraining_listener() -> None:
    traits = ListenerTraits(baseline_hr_bpm=60.0, hr_gain_bpm=30.0, start_arousal=0.5)
    heart_rate = 60.0 + 30.0 * 0.5
    levels = {}
    for tempo in (heart_rate, heart_rate + 25.0):
        entraining, neutral = HeldOutResponse(role=1), HeldOutResponse(role=9)
        recipe = CALM.with_(tempo_bpm=tempo)
        levels[tempo] = entraining(recipe, traits) - neutral(recipe, traits)
    assert levels[heart_rate] < -0.1  # rapport at a matched tempo
    assert abs(levels[heart_rate + 25.0]) < 0.01  # none far from it


def test_the_same_instrument_grows_tiresome_and_a_change_refreshes() -> None:
    traits = ListenerTraits()
    listener = HeldOutResponse(role=3)
    steps = int(600 / GRID_S)  # ten minutes of piano
    first = listener(CALM, traits)
    for _ in range(steps):
        later = listener(CALM, traits)
    assert later > first + 0.1
    harp = listener(CALM.with_(instrument="harp"), traits)
    assert harp < later - 0.1
