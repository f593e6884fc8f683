"""One entry point for a segment's PCM, whatever its source: generated, near-silence or a
listener's own track (at its own speed, or stretched to the arc's tempo). The session puts
the breathing swell on it (music/layers.py)."""

from __future__ import annotations

import numpy as np

from appliance.music.audiofile import read_segment
from appliance.music.levels import db_to_gain, limit
from appliance.music.library import (
    FILE_FADE_S,
    MAX_BOOST_DB,
    SEGMENT_CEILING_DBFS,
    Library,
)
from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
from appliance.music.stream import ArraySource, SegmentSource
from appliance.music.stretch import SAME_SPEED, Chunker, StretchedSource, edge_gain, stretched


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
            library = self._library(recipe)
            if abs(recipe.speed - 1.0) > SAME_SPEED:
                return stretched(self._chunker(library, recipe, seconds))
            return library.load_segment(recipe.file, seconds, self.sample_rate, recipe.loudness_db)
        return self.renderer.render(recipe, seconds)

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """render(recipe, seconds)'s samples as a source the mixer reads as it plays: generated
        music is made block by block, a stretched track chunk by chunk ahead of the reads
        (bounded memory); anything else is rendered whole."""
        if recipe.source == "generated":
            return self.renderer.stream(recipe, seconds)
        if recipe.source == "file" and abs(recipe.speed - 1.0) > SAME_SPEED:
            return StretchedSource(self._chunker(self._library(recipe), recipe, seconds))
        return ArraySource(self.render(recipe, seconds))

    def _library(self, recipe: Recipe) -> Library:
        if self.library is None:
            raise ValueError("personal tracks need a library; none is configured")
        if not recipe.file:
            raise ValueError("a file recipe names no file")
        return self.library

    def _chunker(self, library: Library, recipe: Recipe, seconds: float) -> Chunker:
        """The track stretched to the recipe's speed, at its loudness, faded in and out as
        Library.load_segment does, silence past the track's end."""
        track = library.track(str(recipe.file))
        rate, speed = self.sample_rate, recipe.speed
        n_frames = round(seconds * rate)
        rms = track.features.rms_dbfs
        gain = 1.0 if rms is None else db_to_gain(min(recipe.loudness_db - rms, MAX_BOOST_DB))
        sounding = min(n_frames, max(0, round(track.features.duration_s / speed * rate)))
        fade = round(FILE_FADE_S * rate)

        def read(first: int, frames: int) -> np.ndarray:
            return read_segment(track.path, first / rate, frames / rate, rate)

        def finish(block: np.ndarray, at: int) -> None:
            block *= (gain * edge_gain(at, len(block), fade, sounding))[:, None]
            limit(block, SEGMENT_CEILING_DBFS, out=block)

        return Chunker(read, rate, speed, n_frames, finish)

    def close(self) -> None:
        self.renderer.close()
