"""Debounced button edges, timed by the injected clock.

gpiozero calls back from its own thread on every raw edge (and the mock does not emulate
bounce_time), so we only record raw edges there, under a lock, and decide in `poll()` on the
service loop's thread. A level counts once it has lasted `debounce_s`: edges closer together
than that (contact bounce, interference on a long cable) are ignored, and the debounced edge
keeps the time of the raw edge that began the stable level, so gesture timing does not depend
on how often `poll()` runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class ButtonLike(Protocol):
    """What we use of gpiozero.Button."""

    when_pressed: Callable[[], None] | None
    when_released: Callable[[], None] | None

    @property
    def is_pressed(self) -> bool: ...


@dataclass(frozen=True)
class Edge:
    t: float  # monotonic seconds
    pressed: bool


class DebouncedButton:
    """Collects a button's raw edges and releases them debounced, in time order."""

    def __init__(self, button: ButtonLike, *, now: Callable[[], float], debounce_s: float) -> None:
        if debounce_s < 0:
            raise ValueError(f"debounce_s must be >= 0, got {debounce_s}")
        self._button = button
        self._now = now
        self._debounce_s = debounce_s
        self._lock = threading.Lock()
        self._undecided: list[Edge] = []  # raw edges, oldest first, levels alternating
        self._raw_pressed = bool(button.is_pressed)
        self._last_raw_t = now()
        self.pressed = self._raw_pressed  # the debounced level
        button.when_pressed = self._on_pressed
        button.when_released = self._on_released

    def _on_pressed(self) -> None:
        self._record(True, self._now())

    def _on_released(self) -> None:
        self._record(False, self._now())

    def _record(self, pressed: bool, t: float) -> None:
        with self._lock:
            if pressed == self._raw_pressed:
                return  # a repeated level: nothing changed
            self._raw_pressed = pressed
            self._last_raw_t = max(t, self._last_raw_t)
            self._undecided.append(Edge(self._last_raw_t, pressed))

    def poll(self, now: float) -> tuple[list[Edge], float]:
        """Debounced edges decided by `now`, and the time up to which the level is known.

        The level is known up to the first raw edge still waiting for its `debounce_s`, so
        timers after that horizon must wait (that edge may yet begin a press).
        """
        # A lost interrupt must not leave the button pressed forever (a phantom hold would
        # shut the box down), so the level read now stands in for any edge we missed.
        self._record(bool(self._button.is_pressed), now)
        decided: list[Edge] = []
        with self._lock:
            while self._undecided:
                first = self._undecided[0]
                if len(self._undecided) >= 2:
                    stable = self._undecided[1].t - first.t >= self._debounce_s
                elif now - first.t >= self._debounce_s:
                    stable = True
                else:
                    break
                self._undecided.pop(0)
                if stable and first.pressed != self.pressed:
                    self.pressed = first.pressed
                    decided.append(first)
            horizon = self._undecided[0].t if self._undecided else now
        return decided, horizon

    def close(self) -> None:
        self._button.when_pressed = None
        self._button.when_released = None
