"""Fast stand-ins for the slow parts of a session, for simulating many sessions.

The physiology still goes through the device's own pipeline: a listener's beats arrive as RR
intervals (as from a BLE chest strap: PhysiologyStream.push_rr) and their skin conductance as
GSR batches, both through Sensors.poll_into, with artefacts (missed and extra beats, electrodes
lifting off). Only the audio is skipped: a renderer of silence and a sink that discards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from appliance.music.recipe import Recipe
from appliance.music.stream import ArraySource
from drivers.sources import GsrBatch, HrSample

SIM_SAMPLE_RATE = 100  # Hz: the mixer and sink still run, on almost no frames
GSR_RATE_HZ = 8.0


class ListenerHrSource:
    """A listener's heartbeats as HR notifications with RR intervals, once per read."""

    def __init__(
        self,
        listener: Any,
        now: Callable[[], float],
        *,
        seed: int = 0,
        missed_beat_rate: float = 0.01,  # per beat: a beat the strap misses (RR doubles)
        extra_beat_rate: float = 0.005,  # per beat: a spurious beat splits an interval
    ) -> None:
        self.listener = listener
        self.now = now
        self.rng = np.random.default_rng(seed)
        self.missed, self.extra = missed_beat_rate, extra_beat_rate
        self._last: float | None = None  # the last beat passed on

    def read(self) -> list[HrSample]:
        now = self.now()
        since = self._last if self._last is not None else now - 2.0
        beats = np.asarray(self.listener.beat_times_between(since, now), dtype=np.float64)
        beats = beats[beats > since]
        if self._last is not None:
            beats = np.concatenate([[self._last], beats])
        if len(beats) < 2:
            if len(beats) == 1 and self._last is None:
                self._last = float(beats[0])
            return []
        self._last = float(beats[-1])
        keep = self.rng.random(len(beats)) >= self.missed
        keep[0] = keep[-1] = True
        rr = list(np.diff(beats[keep]))
        out: list[float] = []
        for interval in rr:
            if self.rng.random() < self.extra:
                split = float(self.rng.uniform(0.2, 0.8))
                out += [interval * split, interval * (1 - split)]
            else:
                out.append(float(interval))
        bpm = round(60.0 / float(np.mean(rr)))
        return [HrSample(t=now, bpm=bpm, rr_s=tuple(out), contact=True)]

    def close(self) -> None:
        pass


class ListenerGsrSource:
    """A listener's skin conductance at GSR_RATE_HZ, with electrode lift-offs (NaN)."""

    def __init__(
        self,
        listener: Any,
        now: Callable[[], float],
        *,
        seed: int = 0,
        lift_offs_per_min: float = 0.2,
        lift_off_s: float = 4.0,
    ) -> None:
        self.listener = listener
        self.now = now
        self.rng = np.random.default_rng(seed)
        self.rate, self.lift_off_s = lift_offs_per_min / 60.0, lift_off_s
        self._next_t: float | None = None
        self._off_until = -np.inf

    def read(self) -> GsrBatch:
        now = self.now()
        if self._next_t is None:
            self._next_t = now
        t = np.arange(self._next_t, now, 1.0 / GSR_RATE_HZ)
        if len(t) == 0:
            return GsrBatch(t, np.zeros(0))
        self._next_t = float(t[-1] + 1.0 / GSR_RATE_HZ)
        us = np.asarray(self.listener.conductance(t), dtype=np.float64)
        if self.rng.random() < self.rate * (t[-1] - t[0] + 1.0 / GSR_RATE_HZ):
            self._off_until = float(t[0] + self.lift_off_s)
        us = np.where(t < self._off_until, np.nan, us)
        return GsrBatch(t, us)

    def close(self) -> None:
        pass


class SilentRenderer:
    """A renderer of the right length of silence: the listener hears the recipe, not PCM."""

    def __init__(self, sample_rate: int = SIM_SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray:
        return np.zeros((round(seconds * self.sample_rate), 2), dtype=np.float32)

    def stream(self, recipe: Recipe, seconds: float) -> ArraySource:
        return ArraySource(self.render(recipe, seconds))

    def close(self) -> None:
        pass


class NullSink:
    def __init__(self, sample_rate: int = SIM_SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self.frames = 0

    def write(self, frames: np.ndarray) -> None:
        self.frames += len(frames)

    def close(self) -> None:
        pass


class SimulatedLibrary:
    """A listener's personal music for simulation: a track at whatever tempo is asked for, of
    the track families (sequencer/familiar.py) the listener's music has."""

    def __init__(self, listener_id: str, families: tuple[str, ...] = ("other",)) -> None:
        self.listener_id = listener_id
        self.families = families

    def find(
        self,
        recipe: Recipe,
        *,
        allow_vocals: bool,
        family: str = "other",
        holds_tempo: bool = False,
    ) -> Recipe | None:
        if family not in self.families:
            return None
        stem = "track" if family == "other" else family
        name = f"{self.listener_id}/{stem}-{recipe.tempo_bpm:.0f}.ogg"
        return recipe.with_(source="file", file=name, vocals=False)

    def describe(self, recipe: Recipe) -> str:
        return f"personal track {recipe.file}"
