"""The listener's own music as a source the sequencer can choose (arms.PersonalLibrary).

A track with a confident tempo follows the arc: it is played at exactly the tempo the rules
ask for, stretched without a change of pitch (music/stretch.py), when that is within the
stretch limit of its own tempo (±10 % by default: a familiar song stays natural). A track with
no clear pulse (hymns, choral music, rubato) cannot follow a changing tempo: it is offered only
where the arc holds the tempo, played as recorded. A track tagged vocals, or not tagged at
all, is offered only where vocals are allowed; tracks tagged avoid never (the library leaves
them out). Each track belongs to one family for this listener (familiar.py); the bandit asks
for a family, and the reason names the track, its family and its stretch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.music.recipe import Recipe
from appliance.music.stretch import DEFAULT_LIMIT, check_speed
from appliance.sequencer.familiar import LifeHistory, track_family

TEMPO_CONFIDENT = 0.3  # as appliance.music.features: below this a detected tempo is a guess
UNHEARD = 0.005  # a tempo change this small (0.5 %) is not heard: the track plays as recorded


class LibraryTracks:
    """Adapts the device's personal music library (appliance.music.library.Library)."""

    def __init__(
        self,
        library: Any,
        listener_id: str,
        *,
        stretch_limit: float = DEFAULT_LIMIT,
        life: LifeHistory | None = None,
    ) -> None:
        self.library = library
        self.listener_id = listener_id
        self.stretch_limit = check_speed(1.0 + stretch_limit) - 1.0  # within stretch's range
        self.life = life or LifeHistory()
        self._played: dict[str, int] = {}
        self._why: dict[str, str] = {}  # recipe file → its family's reason

    def find(
        self,
        recipe: Recipe,
        *,
        allow_vocals: bool,
        family: str = "other",
        holds_tempo: bool = False,
    ) -> Recipe | None:
        best: tuple[int, float, str, float, bool, str] | None = None
        for track in self.library.tracks(self.listener_id):
            f, tags = track.features, track.tags
            if tags.avoid:
                continue  # the library leaves these out; never, whoever asks
            vocals = tags.vocals is not False  # unknown counts as sung: the safe side
            if vocals and not allow_vocals:
                continue
            its_family, why = track_family(tags, self.life)
            if its_family != family:
                continue
            pulse = f.tempo_bpm is not None and f.tempo_confidence >= TEMPO_CONFIDENT
            if pulse:
                speed = recipe.tempo_bpm / float(f.tempo_bpm)
                if abs(speed - 1.0) > self.stretch_limit + 1e-9:
                    continue
                distance = abs(speed - 1.0)  # the least stretched: the most natural
                speed = 1.0 if distance < UNHEARD else speed
            elif holds_tempo:
                speed, distance = 1.0, self.stretch_limit  # after any track that fits as well
            else:
                continue
            # The least played first, then the least stretched: variety, then naturalness.
            rank = (self._played.get(track.recipe_file, 0), distance)
            if best is None or rank < best[:2]:
                best = (*rank, track.recipe_file, round(speed, 4), vocals, why)
        if best is None:
            return None
        _, _, name, speed, vocals, why = best
        self._played[name] = self._played.get(name, 0) + 1
        self._why[name] = why
        return recipe.with_(source="file", file=name, speed=speed, vocals=vocals)

    def describe(self, recipe: Recipe) -> str:
        """'familiar: 'Moon River', slowed 6 % to 66 BPM', for the decision's reason."""
        name = str(recipe.file)
        try:
            track = self.library.track(name)
            title = Path(track.original_name or track.file).stem
            why = self._why.get(name) or track_family(track.tags, self.life)[1]
            pulse = track.features.tempo_bpm is not None and (
                track.features.tempo_confidence >= TEMPO_CONFIDENT
            )
        except (LookupError, ValueError, OSError):
            return f"personal track {name}"
        if not pulse:
            return f"{why}: '{title}', no clear pulse: played as recorded while the arc holds"
        change = recipe.speed - 1.0
        if abs(change) < UNHEARD:
            return f"{why}: '{title}' at its own {recipe.tempo_bpm:.0f} BPM"
        how = "slowed" if change < 0 else "quickened"
        percent = abs(change) * 100
        return f"{why}: '{title}', {how} {percent:.0f} % to {recipe.tempo_bpm:.0f} BPM"
