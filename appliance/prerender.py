"""Render-ahead of a session's opening: the first segment is rendered while the box is idle,
so a button press is followed by music at once instead of after a whole FluidSynth render.

The service asks a fresh sequencer (built exactly as the session will build it) for its first
decision, and renders that recipe in the background. When the session asks the renderer for
the same recipe and length, it gets the prepared PCM; anything else renders as usual.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from appliance.music.recipe import Recipe
from appliance.sequencer.decision import SequencerState

log = logging.getLogger(__name__)

LENGTH_TOLERANCE_S = 1.0  # well inside the render margin past the segment's end


class RenderAhead:
    """A renderer that can prepare one (recipe, seconds) ahead; thread-safe."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer
        self._lock = threading.Lock()  # FluidSynth is one synth: one render at a time
        self._key: tuple[Recipe, float] | None = None
        self._pcm: np.ndarray | None = None
        self._thread: threading.Thread | None = None
        self.hits = 0

    @property
    def sample_rate(self) -> int:
        return self.renderer.sample_rate

    def prepare(self, recipe: Recipe, seconds: float) -> None:
        """Start rendering in the background (a previous preparation is replaced)."""
        key = (recipe, round(seconds, 6))
        if self._key == key:
            return

        def work() -> None:
            with self._lock:
                try:
                    pcm = self.renderer.render(recipe, seconds)
                except Exception:
                    log.exception("rendering the session's opening ahead failed")
                    return
                self._key, self._pcm = key, pcm

        self._thread = threading.Thread(target=work, name="render-ahead", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Whether the preparation finished (True when there is none)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray:
        with self._lock:  # a preparation still running for this recipe finishes first
            key, pcm = self._key, self._pcm
            # The session asks a few ms after its start, so its length is a hair shorter.
            same = key is not None and key[0] == recipe
            if same and pcm is not None and abs(key[1] - seconds) <= LENGTH_TOLERANCE_S:
                self._key = self._pcm = None
                self.hits += 1
                return _fit(pcm, round(seconds * self.sample_rate))
            return self.renderer.render(recipe, seconds)

    def close(self) -> None:
        self.wait()
        self.renderer.close()


def _fit(pcm: np.ndarray, frames: int) -> np.ndarray:
    if len(pcm) >= frames:
        return pcm[:frames]
    return np.concatenate([pcm, np.zeros((frames - len(pcm), pcm.shape[1]), pcm.dtype)])


def opening_state(session_s: float) -> SequencerState:
    """What the session's loop shows the sequencer at its very first decision."""
    return SequencerState(
        elapsed_s=0.0, session_s=session_s, estimate=None, baseline_arousal=None, previous=None
    )
