"""The choices a policy makes on top of the rules: timbre, mode, texture and source.

The rules fix tempo, loudness and the phase's density; an arm picks the instrument family, the
mode, a texture (a density offset from the rules' density) and whether to play generated or the
listener's personal music. Arms are described to the bandit as one-hot factor blocks, so what it
learns about "strings" carries over between major and minor, sparse and standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from appliance.music.recipe import INSTRUMENTS, Recipe

PERSONAL = "personal"  # the "instrument" of a personal track: the recording is what it is
ANY_MODE = "any"  # a personal track's mode is not analysed: it is what it is
FAMILIES = (*INSTRUMENTS, PERSONAL)
MODES = ("major", "minor")
TEXTURES: dict[str, float] = {"standard": 0.0, "sparse": -0.1}  # density offset
MIN_DENSITY = 0.05
# A personal arm's "texture" is its track family (familiar.py): each is learnt on its own
# factor. "standard" stays the key of personal music none of these describe (and of every
# personal choice recorded before families existed).
TRACK_FAMILIES = ("familiar", "reminiscence", "culture")
OTHER_FAMILY = "standard"


@dataclass(frozen=True, order=True)
class Arm:
    instrument: str  # a key of INSTRUMENTS, or PERSONAL
    mode: str
    texture: str = "standard"

    @property
    def source(self) -> str:
        return PERSONAL if self.instrument == PERSONAL else "generated"

    @property
    def key(self) -> str:
        return f"{self.instrument}/{self.mode}/{self.texture}"

    @property
    def family(self) -> str | None:
        """A personal arm's track family (familiar.py's names; "other" for the rest)."""
        if self.instrument != PERSONAL:
            return None
        return "other" if self.texture == OTHER_FAMILY else self.texture

    @classmethod
    def parse(cls, key: str) -> Arm:
        instrument, mode, texture = key.split("/")
        arm = cls(instrument, mode, texture)
        if arm not in ALL_ARMS:
            raise ValueError(
                f"{key!r} is not an arm: instrument/mode/texture, e.g. piano/major/standard"
            )
        return arm


ALL_ARMS: tuple[Arm, ...] = tuple(
    [Arm(i, m, t) for i in INSTRUMENTS for m in MODES for t in TEXTURES]
    + [Arm(PERSONAL, ANY_MODE)]  # a personal track brings its own timbre, mode and texture
    + [Arm(PERSONAL, ANY_MODE, family) for family in TRACK_FAMILIES]
)
# The clinical default: what the rules-only sequencer plays (piano, major, the rules' density).
DEFAULT_ARM = Arm("piano", "major", "standard")

# Context the reward depends on whatever the arm: the phase (calming phases lower HR for every
# arm, a rise raises it), how aroused the listener arrived (more room to calm), the rules'
# tempo and loudness at this step (the arc's own calming, which a segment's music rides on),
# and how far into the session the segment ends: calming accumulates (arousal lags the music
# by minutes), so later segments reward more whatever plays. Without that term the music a
# policy moves to later in a session would take the credit for the session's own progress.
PHASE_GROUPS = {
    "calibration": 0,
    "iso": 0,
    "descend": 0,
    "dip": 0,
    "settle": 0,
    "trough": 1,
    "plateau": 1,
    "fade": 1,
    "steady": 1,
    "safety-hold": 1,
    "rise": 2,
}
N_ARM_FEATURES = len(FAMILIES) + len(MODES) + len(TEXTURES) + len(TRACK_FAMILIES)
N_CONTEXT = 3 + 1 + 2 + 1
N_FEATURES = N_ARM_FEATURES + N_CONTEXT
START_Z_LIMIT = 3.0
CONTEXT_TEMPO_BPM, CONTEXT_TEMPO_SCALE_BPM = 70.0, 20.0
CONTEXT_LOUDNESS_DB, CONTEXT_LOUDNESS_SCALE_DB = -24.0, 6.0


def arm_vector(arm: Arm) -> np.ndarray:
    x = np.zeros(N_ARM_FEATURES)
    x[FAMILIES.index(arm.instrument)] = 1.0
    if arm.mode in MODES:
        x[len(FAMILIES) + MODES.index(arm.mode)] = 1.0
    offset = len(FAMILIES) + len(MODES)
    if arm.texture in TEXTURES:
        x[offset + list(TEXTURES).index(arm.texture)] = 1.0
    else:
        x[offset + len(TEXTURES) + TRACK_FAMILIES.index(arm.texture)] = 1.0
    return x


ARM_MATRIX = np.stack([arm_vector(a) for a in ALL_ARMS])
ARM_INDEX = {a: i for i, a in enumerate(ALL_ARMS)}


def context_vector(
    phase: str,
    start_z: float | None,
    tempo_bpm: float = CONTEXT_TEMPO_BPM,
    loudness_db: float = CONTEXT_LOUDNESS_DB,
    progress: float = 0.5,
) -> np.ndarray:
    """`progress`: the fraction of the session elapsed by the segment's end (0..1)."""
    c = np.zeros(N_CONTEXT)
    c[PHASE_GROUPS.get(phase, 0)] = 1.0
    z = 0.0 if start_z is None or not np.isfinite(start_z) else float(start_z)
    c[3] = max(-START_Z_LIMIT, min(START_Z_LIMIT, z)) / START_Z_LIMIT
    c[4] = (tempo_bpm - CONTEXT_TEMPO_BPM) / CONTEXT_TEMPO_SCALE_BPM
    c[5] = (loudness_db - CONTEXT_LOUDNESS_DB) / CONTEXT_LOUDNESS_SCALE_DB
    c[6] = min(max(progress, 0.0), 1.0)
    return c


def design(arms: list[Arm], context: np.ndarray) -> np.ndarray:
    """One feature row per arm: the arm's factors, then the shared context."""
    rows = ARM_MATRIX[[ARM_INDEX[a] for a in arms]]
    return np.hstack([rows, np.broadcast_to(context, (len(arms), len(context)))])


class PersonalLibrary(Protocol):
    """The listener's own music: a track of `family` fitting the recipe's tempo (stretched
    within limits, or with no clear pulse where the arc holds its tempo), or None; and a line
    for the decision's reason naming what a chosen recipe plays."""

    def find(
        self,
        recipe: Recipe,
        *,
        allow_vocals: bool,
        family: str = "other",
        holds_tempo: bool = False,
    ) -> Recipe | None: ...

    def describe(self, recipe: Recipe) -> str: ...


def apply_arm(
    base: Recipe,
    arm: Arm,
    *,
    library: PersonalLibrary | None = None,
    allow_vocals: bool = False,
    previous: Recipe | None = None,
    holds_tempo: bool = False,
) -> Recipe | None:
    """The rules' recipe played as `arm`, or None when the arm cannot be played now (no
    personal track fits). A personal track's recipe keeps the previous instrument, mode and
    density on record (they mean nothing for a recording), so switching to it counts as a
    change of source (and of tempo, if the track's differs), not of everything."""
    if arm.instrument == PERSONAL:
        if library is None:
            return None
        nominal = previous if previous is not None else base
        wanted = base.with_(
            instrument=nominal.instrument, mode=nominal.mode, density=nominal.density
        )
        track = library.find(
            wanted, allow_vocals=allow_vocals, family=arm.family or "other", holds_tempo=holds_tempo
        )
        if track is None or track.source != "file" or (track.vocals and not allow_vocals):
            return None
        return track.with_(
            instrument=nominal.instrument, mode=nominal.mode, density=nominal.density
        )
    density = round(max(MIN_DENSITY, min(1.0, base.density + TEXTURES[arm.texture])), 2)
    return base.with_(
        instrument=arm.instrument, mode=arm.mode, density=density, source="generated", file=None
    )


def arm_of(recipe: Recipe, base_density: float | None = None) -> Arm:
    """The arm a recipe was played as (texture from its density against the rules' density)."""
    if recipe.source == "file":
        return Arm(PERSONAL, ANY_MODE)
    texture = "standard"
    if base_density is not None and recipe.density < base_density - 0.05:
        texture = "sparse"
    return Arm(recipe.instrument, recipe.mode, texture)


def music_key(recipe: Recipe) -> str:
    """What a distress press quarantines: the track, or the generated timbre and mode."""
    if recipe.source == "file":
        return f"file:{recipe.file}"
    if recipe.source == "silence":
        return "silence"
    return f"generated:{recipe.instrument}/{recipe.mode}"
