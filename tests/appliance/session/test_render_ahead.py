"""Render-ahead with the real FluidSynth renderer."""

from __future__ import annotations

import numpy as np

from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
from appliance.session.render_ahead import RenderAhead

RATE = 16000


def test_the_prepared_opening_is_served_once_then_renders_resume() -> None:
    renderer = RenderAhead(FluidSynthRenderer(sample_rate=RATE, polyphony=16))
    recipe = Recipe(tempo_bpm=70.0, key="C", density=0.3, instrument="piano", loudness_db=-24.0)
    try:
        renderer.prepare(recipe, 3.0)
        assert renderer.wait(30)
        first = renderer.render(recipe, 2.99)  # the session asks a few ms late
        assert renderer.hits == 1 and len(first) == round(2.99 * RATE)
        assert np.sqrt(np.mean(first**2)) > 1e-4  # music, not silence
        again = renderer.render(recipe, 2.99)  # served once only: this one is rendered
        assert renderer.hits == 1 and len(again) == len(first)
        other = recipe.with_(tempo_bpm=60.0)
        renderer.prepare(recipe, 3.0)
        renderer.wait(30)
        renderer.render(other, 3.0)  # a different opening: no stale music
        assert renderer.hits == 1
    finally:
        renderer.close()
