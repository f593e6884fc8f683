"""The listener's own music as a source the sequencer can choose (arms.PersonalLibrary).

A track fits a step when its tempo is confidently known and within the step rule of the tempo
the rules ask for (a track without a confident tempo is never offered: the rules always set
one). A track tagged vocals, or not tagged at all, is offered only where vocals are allowed.
"""

from __future__ import annotations

from typing import Any

from appliance.music.recipe import Recipe
from appliance.sequencer.steps import MAX_TEMPO_STEP_BPM

TEMPO_CONFIDENT = 0.3  # as appliance.music.features: below this a detected tempo is a guess


class LibraryTracks:
    """Adapts the device's personal music library (appliance.music.library.Library)."""

    def __init__(self, library: Any, listener_id: str) -> None:
        self.library = library
        self.listener_id = listener_id
        self._played: dict[str, int] = {}

    def find(self, recipe: Recipe, *, allow_vocals: bool) -> Recipe | None:
        best: tuple[int, float, str, float, bool] | None = None
        for track in self.library.tracks(self.listener_id):
            f, tags = track.features, track.tags
            if f.tempo_bpm is None or f.tempo_confidence < TEMPO_CONFIDENT:
                continue
            if abs(f.tempo_bpm - recipe.tempo_bpm) > MAX_TEMPO_STEP_BPM:
                continue
            vocals = tags.vocals is not False  # unknown counts as sung: the safe side
            if vocals and not allow_vocals:
                continue
            # The least played first, then the closest tempo: variety without jumps.
            rank = (self._played.get(track.recipe_file, 0), abs(f.tempo_bpm - recipe.tempo_bpm))
            if best is None or rank < best[:2]:
                best = (*rank, track.recipe_file, float(f.tempo_bpm), vocals)
        if best is None:
            return None
        _, _, name, tempo, vocals = best
        self._played[name] = self._played.get(name, 0) + 1
        return recipe.with_(source="file", file=name, tempo_bpm=float(round(tempo)), vocals=vocals)
