"""Streamed segments: the same samples as a whole render, made as the mixer pulls them."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.music.layers import with_swell
from appliance.music.mixer import Mixer
from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
from appliance.music.stream import ArraySource, SwelledSource, read_all
from appliance.session.render_ahead import RenderAhead

RATE = 16000
RECIPE = Recipe(tempo_bpm=72.0, key="D", density=0.4, instrument="piano", loudness_db=-24.0)


@pytest.fixture(scope="module")
def renderer():
    with FluidSynthRenderer(sample_rate=RATE, polyphony=16) as made:
        yield made


def read_in_random_blocks(source, n_frames: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts, read = [], 0
    while read < n_frames:
        size = int(rng.integers(1, 3000))
        parts.append(source.read(size))
        read += size
    return np.concatenate(parts)


def test_a_stream_read_in_any_blocks_is_bit_identical_to_the_render(renderer) -> None:
    whole = renderer.render(RECIPE, 6.3)
    source = renderer.stream(RECIPE, 6.3)
    assert source.n_frames == len(whole)
    streamed = read_in_random_blocks(source, len(whole) + 500)
    source.close()
    assert np.array_equal(streamed[: len(whole)], whole)
    assert not np.any(streamed[len(whole) :])  # past the end: silence
    assert np.sqrt(np.mean(whole**2)) > 1e-3  # music, not an empty match


def test_the_mixer_plays_a_stream_as_it_plays_the_array_and_closes_it(renderer) -> None:
    whole = renderer.render(RECIPE, 3.0)
    closed: list[bool] = []
    source = renderer.stream(RECIPE, 3.0)
    original_close = source.close
    source.close = lambda: (closed.append(True), original_close())[1]
    outputs = []
    for segment in (whole, source):
        mixer = Mixer(sample_rate=RATE, crossfade_s=1.0)
        mixer.queue(segment)
        outputs.append(np.concatenate([mixer.pull(800) for _ in range(70)]))
    assert np.array_equal(outputs[0], outputs[1])
    assert closed == [True]  # once played out, its synth is gone


def test_the_swell_on_a_stream_matches_the_swell_on_the_array() -> None:
    pcm = np.random.default_rng(0).uniform(-0.3, 0.3, (RATE * 4, 2)).astype(np.float32)
    expected = with_swell(pcm, RATE, 6.0, 12.5)
    swelled = SwelledSource(ArraySource(pcm), RATE, 6.0, 12.5)
    got = read_in_random_blocks(swelled, len(pcm))[: len(pcm)]
    assert np.max(np.abs(got - expected)) < 1e-6


def test_render_ahead_hands_over_the_primed_stream_and_drops_a_stale_one() -> None:
    ahead = RenderAhead(FluidSynthRenderer(sample_rate=RATE, polyphony=16))
    try:
        ahead.prepare(RECIPE, 3.0)
        assert ahead.wait(30)
        source = ahead.stream(RECIPE, 2.99)  # the session asks a few ms late
        assert ahead.hits == 1 and source.n_frames == round(2.99 * RATE)
        expected = ahead.renderer.render(RECIPE, 3.0)[: source.n_frames]
        assert np.array_equal(read_all(source), expected)
        ahead.prepare(RECIPE, 3.0)
        ahead.wait(30)
        other = read_all(ahead.stream(RECIPE.with_(tempo_bpm=60.0), 3.0))
        assert ahead.hits == 1 and ahead.misses == 1 and len(other) == 3 * RATE
    finally:
        ahead.close()
