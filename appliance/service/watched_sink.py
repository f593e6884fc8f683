"""The audio output as the service sees it: every write timed, the first audible one noted.

The service's watchdog only counts the session as making progress while audio keeps being
written, and the press-to-music latency is measured from the first audible sample.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from drivers.audio import AudioSink

AUDIBLE_LEVEL = 10 ** (-60 / 20)  # -60 dBFS: above dither and silence, below any music


class WatchedSink:
    def __init__(self, sink: AudioSink, now: Callable[[], float]) -> None:
        self.sink = sink
        self.sample_rate = sink.sample_rate
        self._now = now
        self._lock = threading.Lock()
        self.last_write: float | None = None
        self.frames = 0
        self.first_audible: float | None = None  # since the last arm()

    def arm(self) -> None:
        """Start looking for the next first audible sample."""
        with self._lock:
            self.first_audible = None

    def write(self, frames: np.ndarray) -> None:
        # Timed when handed over: what is already queued ahead of it is the sink's latency.
        t = self._now()
        loud = self.first_audible is None and np.max(np.abs(frames), initial=0.0) > AUDIBLE_LEVEL
        self.sink.write(frames)
        with self._lock:
            self.last_write = self._now()
            self.frames += len(frames)
            if loud and self.first_audible is None:
                self.first_audible = t

    def close(self) -> None:
        self.sink.close()
