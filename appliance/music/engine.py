"""One entry point for a segment's PCM, whatever its source: generated, near-silence or a
listener's own track. The session puts the breathing swell on it (music/layers.py)."""

from __future__ import annotations

import numpy as np

from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
from appliance.music.stream import ArraySource, SegmentSource


class MusicEngine:
    """render(recipe, seconds) for the session; owns the renderer it is given."""

    def __init__(self, renderer: FluidSynthRenderer, library: Library | None = None) -> None:
        self.renderer = renderer
        self.library = library

    @property
    def sample_rate(self) -> int:
        return self.renderer.sample_rate

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray:
        """Stereo float32 PCM of exactly round(seconds · sample_rate) frames."""
        if recipe.source == "file":
            if self.library is None:
                raise ValueError("personal tracks need a library; none is configured")
            if not recipe.file:
                raise ValueError("a file recipe names no file")
            return self.library.load_segment(
                recipe.file, seconds, self.sample_rate, recipe.loudness_db
            )
        return self.renderer.render(recipe, seconds)

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """render(recipe, seconds)'s samples as a source the mixer reads as it plays: generated
        music is made block by block (bounded memory); anything else is rendered whole."""
        if recipe.source == "generated":
            return self.renderer.stream(recipe, seconds)
        return ArraySource(self.render(recipe, seconds))

    def close(self) -> None:
        self.renderer.close()
