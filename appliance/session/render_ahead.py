"""Render-ahead of a session's opening: the first segment is rendered while the box is idle,
so a button press is followed by music at once instead of after a whole FluidSynth render.

The service asks a fresh sequencer (built exactly as the session will build it) for its first
decision, and renders that recipe in the background. When the session asks the renderer for
the same recipe and length, it gets the prepared PCM; anything else renders as usual.
With a renderer that streams, what is prepared is a primed stream (its level measured, its
first half second made): a few MB held while idle instead of a whole segment.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from appliance.music.recipe import Recipe
from appliance.music.stream import ArraySource, SegmentSource, read_all
from appliance.sequencer.decision import SequencerState

log = logging.getLogger(__name__)

LENGTH_TOLERANCE_S = 1.0  # well inside the render margin past the segment's end


class RenderAhead:
    """A renderer that can prepare one (recipe, seconds) ahead; thread-safe."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer
        self._lock = threading.Lock()  # FluidSynth is one synth: one render at a time
        self._key: tuple[Recipe, float] | None = None
        self._prepared: SegmentSource | None = None
        self._thread: threading.Thread | None = None
        self.hits = 0
        self.misses = 0  # a prepared opening the session did not ask for

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
                self._drop()
                try:
                    if hasattr(self.renderer, "stream"):
                        prepared = self.renderer.stream(recipe, seconds)
                    else:
                        prepared = ArraySource(self.renderer.render(recipe, seconds))
                except Exception:
                    log.exception("rendering the session's opening ahead failed")
                    return
                self._key, self._prepared = key, prepared

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
            prepared = self._take(recipe, seconds)
            if prepared is not None:
                return _fit(read_all(prepared), round(seconds * self.sample_rate))
            return self.renderer.render(recipe, seconds)

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """render()'s samples as a source the mixer reads as it plays."""
        with self._lock:
            prepared = self._take(recipe, seconds)
            if prepared is not None:
                prepared.n_frames = round(seconds * self.sample_rate)  # zeros or more tail
                return prepared
            if hasattr(self.renderer, "stream"):
                return self.renderer.stream(recipe, seconds)
            return ArraySource(self.renderer.render(recipe, seconds))

    def _take(self, recipe: Recipe, seconds: float) -> SegmentSource | None:
        """The preparation if it is this (recipe, seconds); either way it is spent: a session
        has started, and holding on to it would keep its memory for nothing."""
        key, prepared = self._key, self._prepared
        self._key = self._prepared = None
        # The session asks a few ms after its start, so its length is a hair shorter.
        same = key is not None and key[0] == recipe
        if same and prepared is not None and abs(key[1] - seconds) <= LENGTH_TOLERANCE_S:
            self.hits += 1
            return prepared
        if prepared is not None:
            self.misses += 1
            prepared.close()
        return None

    def _drop(self) -> None:
        if self._prepared is not None:
            self._prepared.close()
        self._key = self._prepared = None

    def close(self) -> None:
        self.wait()
        with self._lock:
            self._drop()
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
