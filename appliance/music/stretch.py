"""A personal track played faster or slower without a change of pitch (Rubber Band).

The sequencer asks for a recorded song at the arc's tempo: Recipe(source="file", speed=0.94)
plays it 6 % slower. The stretch is made chunk by chunk (CHUNK_S of output at a time, each
from its own slice of the track with PAD_S of context either side, so Rubber Band's start-up
never reaches the audio kept), and neighbouring chunks overlap by JOIN_S and are crossfaded:
no click at a join, memory bounded by a few chunks whatever the segment's length.

`StretchedSource` makes the chunks on its own thread, AHEAD_CHUNKS ahead of what the mixer has
read, starting with the first before it is handed over: the mixer's pull never waits for
Rubber Band. `stretched(...)` makes all of them at once (inline rendering: demo, tests).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

import numpy as np
import pedalboard

# A familiar song stays natural within ±10 %; the configuration may narrow or widen it to this.
DEFAULT_LIMIT = 0.10
MAX_LIMIT = 0.25
CHUNK_S = 4.0
PAD_S = 0.5
JOIN_S = 0.05
AHEAD_CHUNKS = 3  # ~12 s of stretched audio ready beyond what is playing
SAME_SPEED = 1e-3  # closer to 1 than this plays the recording as it is

Reader = Callable[[int, int], np.ndarray]  # (first frame, frames) → stereo float32 at the rate
Finish = Callable[[np.ndarray, int], None]  # (block, its first output frame): levels, in place


def check_speed(speed: float, limit: float = MAX_LIMIT) -> float:
    if not math.isfinite(speed) or abs(speed - 1.0) > limit + 1e-9:
        raise ValueError(f"speed {speed} is outside 1 ± {limit:g}")
    return float(speed)


def stretch(pcm: np.ndarray, sample_rate: int, speed: float) -> np.ndarray:
    """Stereo (n, 2) float32 played `speed` times as fast, pitch unchanged: n / speed frames.
    high_quality=False is Rubber Band's R2 engine: ~5× faster than R3 and transparent at the
    ±10 % a familiar song is allowed (bench/bench_stretch.py measures both)."""
    out = pedalboard.time_stretch(
        np.ascontiguousarray(pcm.T, dtype=np.float32),
        float(sample_rate),
        stretch_factor=float(speed),
        high_quality=False,
    )
    return np.ascontiguousarray(out.T)


class Chunker:
    """The stretched output in order, chunk by chunk, crossfaded at the joins."""

    def __init__(
        self, read: Reader, sample_rate: int, speed: float, n_frames: int, finish: Finish
    ) -> None:
        self.read = read
        self.rate = sample_rate
        self.speed = check_speed(speed)
        self.n_frames = n_frames
        self.finish = finish
        self.chunk = round(CHUNK_S * sample_rate)
        self.pad = round(PAD_S * sample_rate)
        self.join = round(JOIN_S * sample_rate)
        self.position = 0  # next output frame to make
        self._tail = np.zeros((0, 2), np.float32)  # the next chunk's first `join` frames, faded

    @property
    def done(self) -> bool:
        return self.position >= self.n_frames

    def next(self) -> np.ndarray:
        """The next chunk's frames (the last one may be shorter)."""
        a = self.position
        b = min(a + self.chunk, self.n_frames)
        extra = self.join if b < self.n_frames else 0  # made twice: the join's crossfade
        out = self._make(a, b + extra)
        if len(self._tail):
            # Equal-gain crossfade: both sides are the same music a sample or two apart.
            ramp = _ramp(len(self._tail))[:, None]
            out[: len(self._tail)] = self._tail * (1.0 - ramp) + out[: len(self._tail)] * ramp
        self._tail = out[b - a :].copy()
        out = out[: b - a]
        self.finish(out, a)
        self.position = b
        return out

    def _make(self, a: int, b: int) -> np.ndarray:
        """Output frames [a, b) from the input slice they come from, with context."""
        start = round(a * self.speed)
        lead = min(self.pad, start)
        first = start - lead
        frames = round(b * self.speed) - first + self.pad
        made = stretch(self.read(first, frames), self.rate, self.speed)
        skip = round(lead / self.speed)
        out = np.zeros((b - a, 2), np.float32)
        part = made[skip : skip + (b - a)]
        out[: len(part)] = part
        return out


def stretched(chunker: Chunker) -> np.ndarray:
    """Every chunk at once."""
    out = np.zeros((chunker.n_frames, 2), np.float32)
    while not chunker.done:
        at = chunker.position
        block = chunker.next()
        out[at : at + len(block)] = block
    return out


class StretchedSource:
    """A SegmentSource whose chunks a thread makes ahead of the mixer's reads."""

    def __init__(self, chunker: Chunker) -> None:
        self.n_frames = chunker.n_frames
        self._chunker = chunker
        self._ready: deque[np.ndarray] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._failed: BaseException | None = None
        if not chunker.done:
            self._ready.append(chunker.next())
        self._all_made = chunker.done  # set under the lock once the last chunk is queued
        self._current = np.zeros((0, 2), np.float32)
        self._offset = 0
        self._thread = threading.Thread(target=self._work, name="stretch", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._closed or len(self._ready) < AHEAD_CHUNKS)
                    if self._closed or self._all_made:
                        return
                chunk = self._chunker.next()
                with self._cond:
                    self._ready.append(chunk)
                    self._all_made = self._chunker.done
                    self._cond.notify_all()
        except BaseException as exc:  # said at the next read, on the session's side
            with self._cond:
                self._failed = exc
                self._cond.notify_all()

    def read(self, n: int) -> np.ndarray:
        out = np.zeros((n, 2), np.float32)
        filled = 0
        while filled < n:
            if self._offset >= len(self._current):
                nxt = self._take()
                if nxt is None:
                    break
                self._current, self._offset = nxt, 0
                continue
            part = self._current[self._offset : self._offset + n - filled]
            out[filled : filled + len(part)] = part
            filled += len(part)
            self._offset += len(part)
        return out

    def _take(self) -> np.ndarray | None:
        with self._cond:
            # Waits only if the thread fell behind by AHEAD_CHUNKS chunks (never at the
            # measured speeds): a wait beats a gap of silence in the song.
            self._cond.wait_for(
                lambda: self._ready or self._closed or self._failed or self._all_made
            )
            if self._failed is not None:
                raise RuntimeError(f"time-stretching failed: {self._failed}") from self._failed
            if not self._ready:
                return None
            chunk = self._ready.popleft()
            self._cond.notify_all()
            return chunk

    def close(self) -> None:
        """Stop making chunks. Not waited for: the mixer may close a source mid-pull, and the
        thread ends by itself after the chunk it is making."""
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._cond.notify_all()

    def join(self, timeout_s: float | None = None) -> bool:
        """Whether the thread has ended (tests)."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()


def edge_gain(at: int, n: int, fade: int, sounding: int) -> np.ndarray:
    """Gains for output frames [at, at + n): equal-power fade in over the first `fade` frames
    and out over the last `fade` before `sounding`, silence from there (as
    Library.load_segment does for a track played at its own speed)."""
    fade = min(fade, sounding // 2)
    i = np.arange(at, at + n, dtype=np.float64)
    gain = np.ones(n)
    if fade > 0:
        gain *= np.sin(0.5 * np.pi * np.clip((i + 0.5) / fade, 0.0, 1.0))
        gain *= np.sin(0.5 * np.pi * np.clip((sounding - i - 0.5) / fade, 0.0, 1.0))
    gain[i >= sounding] = 0.0
    return gain.astype(np.float32)


def _ramp(n: int) -> np.ndarray:
    return ((np.arange(n, dtype=np.float32) + 0.5) / n).astype(np.float32)
