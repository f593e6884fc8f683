"""A segment recipe: everything the rules need to be exact about a piece of music."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

Mode = Literal["major", "minor"]
KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Instrument families the sequencer chooses among, each a list of General MIDI programs
# (0-based): lead voice, pad/harmony, bass.
INSTRUMENTS: dict[str, tuple[int, int, int]] = {
    "piano": (0, 48, 32),  # Acoustic Grand, String Ensemble 1, Acoustic Bass
    "strings": (48, 49, 42),  # String Ensemble 1, String Ensemble 2, Cello
    "harp": (46, 89, 32),  # Orchestral Harp, Warm Pad, Acoustic Bass
    "guitar": (24, 48, 32),  # Nylon Guitar, String Ensemble 1, Acoustic Bass
    "winds": (73, 89, 42),  # Flute, Warm Pad, Cello
    "pads": (89, 88, 42),  # Warm Pad, New Age Pad, Cello
}


@dataclass(frozen=True)
class Recipe:
    tempo_bpm: float
    key: str = "C"
    mode: Mode = "major"
    density: float = 0.5  # 0 sparse .. 1 busy: notes per beat, layers
    instrument: str = "piano"  # a key of INSTRUMENTS
    loudness_db: float = -20.0  # target level relative to full scale, before the master cap
    source: Literal["generated", "file", "silence"] = "generated"
    file: str | None = None  # for source == "file"
    vocals: bool = False
    seed: int = 0
    percussion: bool = False  # soft brushes and shaker on the beat; never unless asked
    # A personal track played this many times as fast, its pitch unchanged (music/stretch.py);
    # tempo_bpm is then the tempo it is heard at.
    speed: float = 1.0

    def __post_init__(self) -> None:
        if self.key not in KEYS:
            raise ValueError(f"key {self.key!r} is not one of {', '.join(KEYS)}")
        if self.mode not in ("major", "minor"):
            raise ValueError(f"mode {self.mode!r} is not 'major' or 'minor'")
        if self.instrument not in INSTRUMENTS:
            raise ValueError(f"instrument {self.instrument!r} is not one of {sorted(INSTRUMENTS)}")
        if not 20 <= self.tempo_bpm <= 200:
            raise ValueError(f"tempo {self.tempo_bpm} BPM is outside 20..200")
        if not 0.0 <= self.density <= 1.0:
            raise ValueError(f"density {self.density} is outside 0..1")
        if not 0.5 <= self.speed <= 2.0:
            raise ValueError(f"speed {self.speed} is outside 0.5..2")

    def with_(self, **changes: object) -> Recipe:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        if self.source == "silence":
            return "near-silence"
        if self.source == "file":
            if self.speed != 1.0:  # only a personal track is ever stretched
                return f"personal track {self.file} at {self.speed:.0%} speed"
            return f"personal track {self.file}"
        return (
            f"{self.tempo_bpm:.0f} BPM {self.key} {self.mode} {self.instrument}, "
            f"density {self.density:.1f}"
        )
