"""Recipe → PCM: compose the MIDI and render it with FluidSynth, faster than real time.

No audio driver: the renderer walks the MIDI messages in time order and asks the synth for
exactly the samples between one event and the next, so note timing is sample-accurate (to
FluidSynth's 64-sample block) and a minutes-long segment renders in a second or two.

`stream()` gives the same samples without ever holding the segment: one pass measures the
level, a second synth then plays the segment block by block as the mixer pulls it (see
appliance.music.stream). A service on a 1 GB Pi keeps a few MB per segment instead of ~36.
"""

from __future__ import annotations

import ctypes
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import mido
import numpy as np

from appliance.music.compose import compose
from appliance.music.layers import DRONE_DBFS, drone
from appliance.music.levels import CHUNK_ROWS, db_to_gain, gain_to_db, limit, rms_dbfs
from appliance.music.recipe import Recipe
from appliance.music.stream import ArraySource, SegmentSource, SynthSource
from appliance.vocabulary import DEFAULT_SOUNDFONT, SOUNDFONT_PACKAGE

LIBRARY_PACKAGE = "libfluidsynth3"

MIDI_CHANNELS = 16
SYNTH_GAIN = 0.4  # rendered in float, so headroom only matters for the level we normalise from
# A stream's first frames are made when it is created, off the audio thread: the synth loads
# the instruments' samples as the music starts.
PRIME_S = 0.5
SEGMENT_CEILING_DBFS = -1.0  # a rendered segment's peaks; the mixer's master cap comes later
# A gentle room; the parts' CC91 sends decide how much of it each one gets.
REVERB_SETTINGS = {
    "synth.reverb.room-size": 0.6,
    "synth.reverb.damp": 0.4,
    "synth.reverb.width": 0.8,
    "synth.reverb.level": 0.6,
}


class MusicUnavailable(RuntimeError):
    """Generated music cannot be made on this machine (library or soundfont missing)."""


def _import_fluidsynth() -> ModuleType:
    try:
        import fluidsynth
    except (ImportError, OSError) as exc:
        raise MusicUnavailable(
            f"the FluidSynth library could not be loaded ({exc}); install the Debian package "
            f"{LIBRARY_PACKAGE} (sudo apt-get install {LIBRARY_PACKAGE}) and the Python package "
            "pyfluidsynth"
        ) from exc
    return fluidsynth


def _float_writer(fluidsynth: ModuleType) -> Any | None:
    """fluid_synth_write_float, which pyfluidsynth does not wrap: float output, no dither.

    Writing float straight into our array keeps renders bit-identical for a recipe (the
    16-bit path dithers with state that carries over between renders) and never clips.
    """
    library = getattr(fluidsynth, "_fl", None)
    if library is None or not hasattr(library, "fluid_synth_write_float"):
        return None
    function = library.fluid_synth_write_float
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_void_p, ctypes.c_int]
    function.argtypes += [ctypes.c_void_p, ctypes.c_int, ctypes.c_int] * 2
    return function


class FluidSynthRenderer:
    """Renders recipes to float32 stereo PCM with FluidSynth (a fresh synth state per render)."""

    def __init__(
        self, soundfont: Path = DEFAULT_SOUNDFONT, *, sample_rate: int = 44100, polyphony: int = 48
    ) -> None:
        self.sample_rate = sample_rate
        fluidsynth = _import_fluidsynth()
        soundfont = Path(soundfont)
        if not soundfont.is_file():
            raise MusicUnavailable(
                f"soundfont {soundfont} not found; install the Debian package {SOUNDFONT_PACKAGE} "
                f"(sudo apt-get install {SOUNDFONT_PACKAGE}) for {DEFAULT_SOUNDFONT}"
            )
        self._soundfont = soundfont
        self._fluidsynth = fluidsynth
        self._settings: dict[str, Any] = {
            "synth.polyphony": int(polyphony),
            "synth.chorus.active": 0,
            "synth.reverb.active": 1,
            # Load samples only for the presets in use: ~40 MB instead of the whole font.
            "synth.dynamic-sample-loading": 1,
            **REVERB_SETTINGS,
        }
        self._write_float = _float_writer(fluidsynth)
        self._synth, _ = self._new_synth()
        self._used = False  # the first render can use the synth made here
        self._closed = False

    def _new_synth(self) -> tuple[Any, int]:
        synth = self._fluidsynth.Synth(
            gain=SYNTH_GAIN,
            samplerate=float(self.sample_rate),
            channels=MIDI_CHANNELS,
            **self._settings,
        )
        soundfont_id = synth.sfload(str(self._soundfont))
        if soundfont_id < 0:
            synth.delete()
            raise MusicUnavailable(
                f"soundfont {self._soundfont} could not be loaded; reinstall {SOUNDFONT_PACKAGE}"
            )
        return synth, soundfont_id

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray:
        """Exactly round(seconds * sample_rate) stereo frames at the recipe's loudness."""
        n_frames = round(seconds * self.sample_rate)
        if recipe.source == "silence":
            return near_silence(recipe, n_frames, self.sample_rate)
        if recipe.source != "generated":
            raise ValueError(f"cannot render a {recipe.source!r} recipe: only generated music")
        if self._closed:
            raise RuntimeError("renderer is closed")
        schedule = _schedule(compose(recipe, seconds), n_frames, self.sample_rate)
        self._reset()
        pcm = np.zeros((n_frames, 2), dtype=np.float32)
        _Performance(self._synth, self._write_float, schedule).fill(pcm)
        level = rms_dbfs(pcm)
        if level > -math.inf:
            pcm *= np.float32(db_to_gain(recipe.loudness_db - level))  # in place: minutes of PCM
        return limit(pcm, SEGMENT_CEILING_DBFS, out=pcm)

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """render()'s samples, made as they are read (bit-identical, bounded memory)."""
        n_frames = round(seconds * self.sample_rate)
        if recipe.source != "generated":
            return ArraySource(self.render(recipe, seconds))
        if self._closed:
            raise RuntimeError("renderer is closed")
        schedule = _schedule(compose(recipe, seconds), n_frames, self.sample_rate)
        self._reset()  # the first pass, on the renderer's own synth, measures the level
        level = _measure_level(_Performance(self._synth, self._write_float, schedule), n_frames)
        self._free_synth()  # its samples are not needed until the next render
        gain = 1.0 if level == -math.inf else db_to_gain(recipe.loudness_db - level)
        synth, _ = self._new_synth()  # the second pass is the stream's own, from a fresh state
        performance = _Performance(synth, self._write_float, schedule)

        def finish(block: np.ndarray) -> None:
            if level > -math.inf:
                block *= np.float32(gain)
            limit(block, SEGMENT_CEILING_DBFS, out=block)

        source = SynthSource(n_frames, performance.fill, finish, close=synth.delete)
        return source.prime(round(PRIME_S * self.sample_rate))

    def _reset(self) -> None:
        """A synth in its initial state, so a recipe always renders to the same samples.

        Resetting in place (all sounds off, system reset) is not enough: FluidSynth keeps
        per-voice and block-phase state across renders, which changes note attacks at about
        -70 dBFS. A new synth costs ~0.1 s with dynamic sample loading, once a segment.
        """
        if self._used:
            self._free_synth()
        if self._synth is None:
            self._synth, _ = self._new_synth()
        self._used = True

    def _free_synth(self) -> None:
        if self._synth is not None:
            self._synth.delete()
            self._synth = None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._synth is not None:
                self._synth.delete()
                self._synth = None

    def __enter__(self) -> FluidSynthRenderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


ALL_NOTES_OFF = None  # in a schedule: release every channel (tails ring on to the end)


def _schedule(
    midi: mido.MidiFile, n_frames: int, sample_rate: int
) -> list[tuple[int, mido.Message | mido.MetaMessage | None]]:
    """(frame, message) in time order: what the synth is sent, and when, in the segment."""
    events: list[tuple[int, mido.Message | mido.MetaMessage | None]] = []
    elapsed_s = 0.0
    frame = 0
    for message in midi:  # merged tracks, times in seconds at the file's tempo
        elapsed_s += message.time
        frame = min(round(elapsed_s * sample_rate), n_frames)
        if frame >= n_frames:
            break
        events.append((frame, message))
    events.append((frame, ALL_NOTES_OFF))
    return events


def _measure_level(performance: _Performance, n_frames: int) -> float:
    """rms_dbfs of the whole performance, a CHUNK_ROWS block at a time (the same sums)."""
    block = np.empty((min(CHUNK_ROWS, max(n_frames, 1)), 2), dtype=np.float32)
    total = 0.0
    for start in range(0, n_frames, CHUNK_ROWS):
        part = block[: min(CHUNK_ROWS, n_frames - start)]
        part.fill(0.0)
        performance.fill(part)
        total += float(np.sum(np.square(part, dtype=np.float64)))
    return gain_to_db(math.sqrt(total / (2 * n_frames))) if n_frames else -math.inf


class _Performance:
    """One synth playing a schedule, into whatever blocks it is given, in order."""

    def __init__(self, synth: Any, write_float: Any | None, schedule: list) -> None:
        self._synth = synth
        self._write_float = write_float
        self._schedule = schedule
        self._next = 0  # the schedule's next event
        self._position = 0  # frames played so far

    def fill(self, out: np.ndarray) -> None:
        """Play the next len(out) frames into out (float32 (n, 2), C-contiguous, zeroed)."""
        start, end = self._position, self._position + len(out)
        done = start
        while self._next < len(self._schedule) and self._schedule[self._next][0] < end:
            frame, message = self._schedule[self._next]
            done = self._synthesise(out, done - start, max(frame, done) - start) + start
            self._send(message)
            self._next += 1
        self._synthesise(out, done - start, end - start)
        self._position = end

    def _synthesise(self, out: np.ndarray, start: int, stop: int) -> int:
        count = stop - start
        if count <= 0:
            return start
        if self._write_float is not None:
            address = out.ctypes.data + start * out.strides[0]
            step = out.itemsize
            self._write_float(self._synth.synth, count, address, 0, 2, address + step, 0, 2)
        else:
            samples = self._synth.get_samples(count).reshape(-1, 2)
            out[start:stop] = samples.astype(np.float32) / 32768.0
        return stop

    def _send(self, message: mido.Message | mido.MetaMessage | None) -> None:
        synth = self._synth
        if message is ALL_NOTES_OFF:
            for channel in range(MIDI_CHANNELS):
                synth.all_notes_off(channel)
            return
        if message.is_meta:
            return
        kind = message.type
        if kind == "note_on" and message.velocity > 0:
            synth.noteon(message.channel, message.note, message.velocity)
        elif kind in ("note_off", "note_on"):
            synth.noteoff(message.channel, message.note)
        elif kind == "program_change":
            synth.program_change(message.channel, message.program)
        elif kind == "control_change":
            synth.cc(message.channel, message.control, message.value)
        elif kind == "pitchwheel":
            synth.pitch_bend(message.channel, message.pitch)


def near_silence(recipe: Recipe, n_frames: int, sample_rate: int) -> np.ndarray:
    """A very soft, slowly breathing drone on the recipe's tonic, at DRONE_DBFS RMS."""
    return drone(recipe.key, n_frames, sample_rate, DRONE_DBFS)
