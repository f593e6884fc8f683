"""One entry point for a segment's PCM, whatever its source: generated, near-silence or a
listener's own track, with the breathing swell when the sequencer asks for one."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from appliance.music.layers import apply_breathing_swell
from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
from appliance.music.stream import ArraySource, SegmentSource

BREATHING_PERIOD_KEY = "breathing_period_s"  # Decision.extra: the swell's period
FILE_START_KEY = "file_start_s"  # Decision.extra: where in a personal track to start


class MusicEngine:
    """render(recipe, seconds) for the session; owns the renderer it is given."""

    def __init__(self, renderer: FluidSynthRenderer, library: Library | None = None) -> None:
        self.renderer = renderer
        self.library = library

    @property
    def sample_rate(self) -> int:
        return self.renderer.sample_rate

    def render(
        self,
        recipe: Recipe,
        seconds: float,
        *,
        breathing_period_s: float | None = None,
        start_s: float = 0.0,
        session_time_s: float = 0.0,
    ) -> np.ndarray:
        """Stereo float32 PCM of exactly round(seconds · sample_rate) frames.

        start_s: where in a personal track to begin. session_time_s: when in the session the
        segment starts, so the swell continues in phase from one segment to the next.
        """
        if recipe.source == "file":
            if self.library is None:
                raise ValueError("personal tracks need a library; none is configured")
            if not recipe.file:
                raise ValueError("a file recipe names no file")
            pcm = self.library.load_segment(
                recipe.file, seconds, self.sample_rate, recipe.loudness_db, start_s=start_s
            )
        else:
            pcm = self.renderer.render(recipe, seconds)
        if breathing_period_s:
            apply_breathing_swell(
                pcm, self.sample_rate, float(breathing_period_s), start_s=session_time_s, out=pcm
            )
        return pcm

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """render(recipe, seconds)'s samples as a source the mixer reads as it plays: generated
        music is made block by block (bounded memory); anything else is rendered whole."""
        if recipe.source == "generated":
            return self.renderer.stream(recipe, seconds)
        return ArraySource(self.render(recipe, seconds))

    def render_for(
        self, recipe: Recipe, seconds: float, extra: Mapping[str, object], session_time_s: float
    ) -> np.ndarray:
        """render() with the options a Decision carries in `extra`."""
        period = extra.get(BREATHING_PERIOD_KEY)
        start = extra.get(FILE_START_KEY, 0.0)
        return self.render(
            recipe,
            seconds,
            breathing_period_s=float(period) if period else None,
            start_s=float(start),
            session_time_s=session_time_s,
        )

    def close(self) -> None:
        self.renderer.close()
