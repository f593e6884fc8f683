"""Where a session's segments are rendered, and how they reach the mixer.

Inline, the session waits for each render (a simulated clock's session is reproducible); in the
background a worker renders while the loop keeps the audio flowing, and generated music is
streamed as it plays (bounded memory). Either way the breathing guide's swell is applied in
phase with session time, and so with the LED.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from appliance.music.layers import with_swell
from appliance.music.mixer import Mixer
from appliance.music.recipe import Recipe
from appliance.music.stream import SegmentSource, SwelledSource
from appliance.session.seams import Renderer, Rendering


class SegmentRenderer:
    def __init__(
        self, renderer: Renderer, mixer: Mixer, sample_rate: int, rendering: Rendering
    ) -> None:
        self.renderer = renderer
        self.mixer = mixer
        self.sample_rate = sample_rate
        self.background = rendering is Rendering.BACKGROUND
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._pending: Future[np.ndarray | SegmentSource] | None = None

    def start(self, recipe: Recipe, seconds: float, at_s: float, period_s: float | None) -> None:
        """Render the segment starting at session time `at_s` (with the swell of `period_s`)."""
        self._pending = self._pool.submit(self._render, recipe, seconds, at_s, period_s)
        if not self.background:
            self._pending.result()
        self.pump()

    def _render(
        self, recipe: Recipe, seconds: float, at_s: float, period_s: float | None
    ) -> np.ndarray | SegmentSource:
        rate = self.sample_rate
        if self.background:
            source = self.renderer.stream(recipe, seconds)
            return source if period_s is None else SwelledSource(source, rate, period_s, at_s)
        return with_swell(self.renderer.render(recipe, seconds), rate, period_s, at_s)

    def pump(self) -> None:
        """Queue a finished render on the mixer (called every tick)."""
        if self._pending is not None and self._pending.done():
            rendered = self._pending.result()
            self._pending = None
            self.mixer.queue(rendered)

    def close(self) -> None:
        """Stop rendering; a stream rendered but never queued has its synth closed."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        pending = self._pending
        done = pending is not None and not pending.cancelled() and pending.exception() is None
        if done and self.background:
            rendered = pending.result()
            assert not isinstance(rendered, np.ndarray)
            rendered.close()
