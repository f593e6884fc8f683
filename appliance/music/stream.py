"""Segment sources: what the mixer plays, read block by block in order.

A whole segment is ~36 MB of float32 stereo at 44.1 kHz (102 s). A SynthSource makes its
samples as the mixer pulls them (a few ms of FluidSynth per 50 ms block), so a playing segment
costs its synth's few MB, whatever its length; an ArraySource plays PCM already in memory
(a listener's track, the near-silence drone, a render in simulated time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from appliance.music.layers import swell_envelope


class SegmentSource(Protocol):
    n_frames: int

    def read(self, n: int) -> np.ndarray:
        """The next n frames, float32 (n, 2), a fresh writable array; zeros past the end."""
        ...

    def close(self) -> None: ...


class ArraySource:
    """PCM in memory, read in order."""

    def __init__(self, pcm: np.ndarray) -> None:
        self._pcm: np.ndarray | None = np.ascontiguousarray(pcm, dtype=np.float32)
        self.n_frames = len(self._pcm)
        self._position = 0

    def read(self, n: int) -> np.ndarray:
        out = np.zeros((n, 2), dtype=np.float32)
        if self._pcm is not None:
            part = self._pcm[self._position : self._position + n]
            out[: len(part)] = part
        self._position += n
        return out

    def read_all(self) -> np.ndarray:
        """The rest as one array (no copy when nothing was read yet)."""
        pcm = self._pcm if self._pcm is not None else np.zeros((0, 2), np.float32)
        rest = pcm[self._position :]
        self._position = self.n_frames
        return rest

    def close(self) -> None:
        self._pcm = None


class SynthSource:
    """Samples made on demand: `play(block)` writes the next frames, `finish(block)` levels them.

    The first `primed` frames can be made ahead (prime()), off the audio thread: the synth
    loads an instrument's samples when the music starts, which should not be in a pull.
    """

    def __init__(
        self,
        n_frames: int,
        play: Callable[[np.ndarray], None],
        finish: Callable[[np.ndarray], None],
        *,
        close: Callable[[], None],
    ) -> None:
        self.n_frames = n_frames
        self._play = play
        self._finish = finish
        self._close = close
        self._position = 0  # frames handed out
        self._played = 0  # frames made (≥ position when primed)
        self._primed = np.zeros((0, 2), dtype=np.float32)
        self._closed = False

    def prime(self, n: int) -> SynthSource:
        """Make the first n frames now (once, before any read)."""
        if self._played == 0 and n > 0:
            self._primed = self._make(min(n, self.n_frames))
        return self

    def read(self, n: int) -> np.ndarray:
        out = np.zeros((n, 2), dtype=np.float32)
        primed = self._primed[self._position : self._position + n]
        out[: len(primed)] = primed
        taken = len(primed)
        if taken < n and self._position + taken >= len(self._primed):
            self._primed = self._primed[:0]  # used up: free it
        wanted = min(n - taken, self.n_frames - self._played)
        if wanted > 0 and not self._closed:
            out[taken : taken + wanted] = self._make(wanted)
        self._position += n
        return out

    def _make(self, n: int) -> np.ndarray:
        block = np.zeros((n, 2), dtype=np.float32)
        self._play(block)
        self._finish(block)
        self._played += n
        return block

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()


class SwelledSource:
    """Another source with the breathing swell on it, in phase with session time."""

    def __init__(
        self, source: SegmentSource, sample_rate: int, period_s: float, start_s: float
    ) -> None:
        self._source = source
        self.n_frames = source.n_frames
        self._rate = sample_rate
        self._period_s = period_s
        self._start_s = start_s
        self._position = 0

    def read(self, n: int) -> np.ndarray:
        block = self._source.read(n)
        at = self._start_s + self._position / self._rate
        block *= swell_envelope(n, self._rate, self._period_s, at)[:, None]
        self._position += n
        return block

    def close(self) -> None:
        self._source.close()


def read_all(source: SegmentSource) -> np.ndarray:
    """The whole (remaining) segment as one array; the source is closed."""
    try:
        if isinstance(source, ArraySource):
            return source.read_all()
        return source.read(source.n_frames)
    finally:
        source.close()
