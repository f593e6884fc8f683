"""Button gestures: press, double press, hold, decided from debounced edge times.

The listener and staff have one button, so a tap must never shut the box down and a long
press must never also start a session (gpiozero's when_pressed and when_held both fire on a
long press). We never use when_held: it runs on gpiozero's thread in real time. Instead
every gesture is decided from edge times in `poll()`, on the service loop's thread, with the
injected clock:

- tap (released before `hold_feedback_s`), and no second press starting within
  `double_press_window_s` of the release → `on_press`, reported when the window closes;
- tap, then a second tap starting within the window → `on_double_press` at the second release;
- press reaching `hold_feedback_s` → `on_hold_feedback(True)`; reaching `hold_s` → `on_hold`
  (once); its release → `on_hold_feedback(False)`. The pair always matches;
- press released between `hold_feedback_s` and `hold_s` → a cancelled hold: nothing but
  `on_hold_feedback(False)`. Someone who let go after the LED lit changed their mind;
- tap followed within the window by a long press → the long press alone counts (hold or
  cancelled hold); the tap was a fumble on the way to holding.

Optionally, `on_press_down` is asked at the (debounced) press-down edge of a first press; when
it returns True it has acted on the press at once (the service starts a session while idle,
where a double press means nothing, instead of waiting ~0.5 s for the double-press window).
That press and a second one within the window then report no `on_press`/`on_double_press`;
if the press (or the second one) becomes a hold, `on_press_cancelled` comes with
`on_hold_feedback(True)`, so whatever started provisionally can be undone before the hold
completes. A hold still never counts as a press.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

from appliance.ui.debounce import ButtonLike, DebouncedButton

DOUBLE_PRESS_WINDOW_S = 0.4
HOLD_S = 3.0
HOLD_FEEDBACK_S = 1.0
DEBOUNCE_S = 0.05


class _Phase(Enum):
    IDLE = auto()
    DOWN = auto()
    WAITING_FOR_SECOND = auto()
    HELD = auto()


class GestureRecognizer:
    """The gesture state machine on debounced edges; pure logic on timestamps."""

    def __init__(
        self,
        *,
        on_press: Callable[[], None],
        on_double_press: Callable[[], None],
        on_hold: Callable[[], None],
        on_hold_feedback: Callable[[bool], None] | None = None,
        double_press_window_s: float = DOUBLE_PRESS_WINDOW_S,
        hold_s: float = HOLD_S,
        hold_feedback_s: float = HOLD_FEEDBACK_S,
        on_press_down: Callable[[], bool] | None = None,
        on_press_cancelled: Callable[[], None] | None = None,
    ) -> None:
        if not 0 < hold_feedback_s <= hold_s:
            raise ValueError(
                f"need 0 < hold_feedback_s <= hold_s, got {hold_feedback_s} and {hold_s}"
            )
        if double_press_window_s <= 0:
            raise ValueError(f"double_press_window_s must be > 0, got {double_press_window_s}")
        self._on_press = on_press
        self._on_double_press = on_double_press
        self._on_hold = on_hold
        self._on_hold_feedback = on_hold_feedback or (lambda _active: None)
        self._on_press_down = on_press_down or (lambda: False)
        self._on_press_cancelled = on_press_cancelled or (lambda: None)
        self._window_s = double_press_window_s
        self._hold_s = hold_s
        self._hold_feedback_s = hold_feedback_s
        self._phase = _Phase.IDLE
        self._down_at = 0.0
        self._up_at = 0.0
        self._is_second_press = False
        self._feedback_on = False
        self._claimed = False  # on_press_down acted on this gesture's first press

    def advance_to(self, t: float) -> None:
        """Fire every timer due at or before `t`, in time order."""
        if self._phase is _Phase.DOWN:
            if not self._feedback_on and t >= self._down_at + self._hold_feedback_s:
                self._feedback_on = True
                if self._claimed:  # what the press started early is undone: it is a hold
                    self._claimed = False
                    self._on_press_cancelled()
                self._on_hold_feedback(True)
            if t >= self._down_at + self._hold_s:
                self._phase = _Phase.HELD
                self._on_hold()
        elif self._phase is _Phase.WAITING_FOR_SECOND and t >= self._up_at + self._window_s:
            self._phase = _Phase.IDLE
            if not self._claimed:
                self._on_press()
            self._claimed = False

    def edge(self, t: float, pressed: bool) -> None:
        """A debounced edge at time `t` (edges arrive in time order, levels alternating)."""
        self.advance_to(t)
        if pressed:
            self._press(t)
        else:
            self._release(t)

    def _press(self, t: float) -> None:
        if self._phase is _Phase.IDLE:
            self._is_second_press = False
            self._claimed = bool(self._on_press_down())
        elif self._phase is _Phase.WAITING_FOR_SECOND:
            self._is_second_press = True
        else:
            return  # already down: debounced levels alternate, so this cannot happen
        self._phase = _Phase.DOWN
        self._down_at = t
        self._feedback_on = False

    def _release(self, t: float) -> None:
        if self._phase is _Phase.HELD or (self._phase is _Phase.DOWN and self._feedback_on):
            self._phase = _Phase.IDLE  # a completed or a cancelled hold
            self._feedback_on = self._claimed = False
            self._on_hold_feedback(False)
        elif self._phase is _Phase.DOWN and self._is_second_press:
            self._phase = _Phase.IDLE
            if not self._claimed:
                self._on_double_press()
            self._claimed = False
        elif self._phase is _Phase.DOWN:
            self._phase = _Phase.WAITING_FOR_SECOND
            self._up_at = t


class ButtonGestures:
    """Press / double press / hold on a gpiozero button; call `poll()` from the service loop.

    Callbacks run inside `poll()`, on the caller's thread, never on gpiozero's.
    """

    def __init__(
        self,
        button: ButtonLike,
        *,
        now: Callable[[], float],
        on_press: Callable[[], None],
        on_double_press: Callable[[], None],
        on_hold: Callable[[], None],
        on_hold_feedback: Callable[[bool], None] | None = None,
        double_press_window_s: float = DOUBLE_PRESS_WINDOW_S,
        hold_s: float = HOLD_S,
        hold_feedback_s: float = HOLD_FEEDBACK_S,
        debounce_s: float = DEBOUNCE_S,
        on_press_down: Callable[[], bool] | None = None,
        on_press_cancelled: Callable[[], None] | None = None,
    ) -> None:
        self._now = now
        self._recognizer = GestureRecognizer(
            on_press=on_press,
            on_double_press=on_double_press,
            on_hold=on_hold,
            on_hold_feedback=on_hold_feedback,
            double_press_window_s=double_press_window_s,
            hold_s=hold_s,
            hold_feedback_s=hold_feedback_s,
            on_press_down=on_press_down,
            on_press_cancelled=on_press_cancelled,
        )
        self._edges = DebouncedButton(button, now=now, debounce_s=debounce_s)

    @property
    def pressed(self) -> bool:
        """The debounced level as of the last poll."""
        return self._edges.pressed

    def poll(self, now: float | None = None) -> None:
        now = self._now() if now is None else now
        edges, horizon = self._edges.poll(now)
        for edge in edges:
            self._recognizer.edge(edge.t, edge.pressed)
        self._recognizer.advance_to(horizon)

    def close(self) -> None:
        """Detach from the button (the button itself belongs to the caller)."""
        self._edges.close()


class DistressButton:
    """A second button for the listener or staff: any press → `on_distress`, once per press."""

    def __init__(
        self,
        button: ButtonLike,
        *,
        now: Callable[[], float],
        on_distress: Callable[[], None],
        debounce_s: float = DEBOUNCE_S,
    ) -> None:
        self._now = now
        self._on_distress = on_distress
        self._edges = DebouncedButton(button, now=now, debounce_s=debounce_s)

    def poll(self, now: float | None = None) -> None:
        edges, _horizon = self._edges.poll(self._now() if now is None else now)
        for edge in edges:
            if edge.pressed:
                self._on_distress()

    def close(self) -> None:
        self._edges.close()
