"""Button gestures on gpiozero's MockFactory, timed by a SimulatedClock; never sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from appliance.clock import SimulatedClock
from appliance.ui import ButtonGestures, DistressButton
from drivers.gpio import make_button, make_pin_factory

POLL_S = 0.01  # the service loop's cadence in these tests
BUTTON_PIN = 17


@dataclass
class Rig:
    clock: SimulatedClock
    pin: object
    gestures: ButtonGestures
    events: list[tuple[str, float]] = field(default_factory=list)

    def run(self, seconds: float, *, poll: bool = True) -> None:
        """Let time pass as the service loop would, polling every POLL_S."""
        end = self.clock.now() + seconds
        while self.clock.now() < end - 1e-9:
            self.clock.advance(min(POLL_S, end - self.clock.now()))
            if poll:
                self.gestures.poll(self.clock.now())

    def press(self) -> None:
        self.pin.drive_low()  # button to ground, pull-up: low means pressed

    def release(self) -> None:
        self.pin.drive_high()

    def tap(self, seconds: float = 0.12) -> None:
        self.press()
        self.run(seconds)
        self.release()

    def names(self) -> list[str]:
        return [name for name, _t in self.events]


@pytest.fixture
def rig() -> Iterator[Rig]:
    clock = SimulatedClock(start=500.0)
    factory = make_pin_factory("mock", clock=clock.now)
    button = make_button(BUTTON_PIN, factory)
    events: list[tuple[str, float]] = []

    def record(name: str):
        return lambda: events.append((name, clock.now()))

    gestures = ButtonGestures(
        button,
        now=clock.now,
        on_press=record("press"),
        on_double_press=record("double"),
        on_hold=record("hold"),
        on_hold_feedback=lambda on: events.append(
            (f"feedback_{'on' if on else 'off'}", clock.now())
        ),
    )
    pin = factory.pin(BUTTON_PIN)
    yield Rig(clock, pin, gestures, events)
    pin.drive_high()  # closing a pressed Button waits up to hold_time in gpiozero's hold thread
    gestures.close()
    button.close()
    factory.close()


def test_tap_reports_one_press_only_after_the_double_press_window(rig: Rig) -> None:
    rig.tap()
    released_at = rig.clock.now()
    rig.run(0.3)
    assert rig.events == []  # the window (0.4 s) is still open: could be a double press
    rig.run(1.0)
    assert rig.names() == ["press"]
    assert released_at + 0.4 <= rig.events[0][1] <= released_at + 0.4 + 2 * POLL_S


def test_double_tap_reports_double_press_only(rig: Rig) -> None:
    rig.tap()
    rig.run(0.2)
    rig.tap()
    rig.run(2.0)
    assert rig.names() == ["double"]


def test_taps_further_apart_than_the_window_are_two_presses(rig: Rig) -> None:
    rig.tap()
    rig.run(0.6)
    rig.tap()
    rig.run(1.0)
    assert rig.names() == ["press", "press"]


def test_hold_gives_feedback_at_one_second_and_hold_once_at_three_never_press(rig: Rig) -> None:
    rig.press()
    pressed_at = rig.clock.now()
    rig.run(5.0)
    assert rig.names() == ["feedback_on", "hold"]
    (_, feedback_at), (_, hold_at) = rig.events
    assert 1.0 <= feedback_at - pressed_at <= 1.0 + 2 * POLL_S
    assert 3.0 <= hold_at - pressed_at <= 3.0 + 2 * POLL_S
    rig.release()
    rig.run(2.0)
    assert rig.names() == ["feedback_on", "hold", "feedback_off"]


def test_release_between_one_and_three_seconds_is_a_cancelled_hold(rig: Rig) -> None:
    rig.press()
    rig.run(2.0)
    rig.release()
    rig.run(4.0)
    assert rig.names() == ["feedback_on", "feedback_off"]


def test_press_released_before_the_feedback_is_still_a_tap(rig: Rig) -> None:
    rig.tap(0.9)
    rig.run(1.0)
    assert rig.names() == ["press"]


def test_tap_then_long_press_counts_the_long_press_alone(rig: Rig) -> None:
    rig.tap()
    rig.run(0.2)
    rig.press()
    rig.run(3.5)
    rig.release()
    rig.run(1.0)
    assert rig.names() == ["feedback_on", "hold", "feedback_off"]


def test_bouncy_contacts_make_one_press(rig: Rig) -> None:
    for level_low in (True, False, True, False, True):  # five edges within 10 ms
        rig.press() if level_low else rig.release()
        rig.run(0.002)
    rig.run(0.15)
    for level_low in (False, True, False, True, False):
        rig.press() if level_low else rig.release()
        rig.run(0.002)
    rig.run(1.0)
    assert rig.names() == ["press"]


def test_a_glitch_shorter_than_debounce_is_ignored(rig: Rig) -> None:
    rig.press()
    rig.run(0.01)
    rig.release()
    rig.run(2.0)
    assert rig.events == []


def test_a_release_glitch_during_a_hold_does_not_break_the_hold(rig: Rig) -> None:
    rig.press()
    rig.run(2.0)
    rig.release()
    rig.run(0.01)  # interference, not a hand
    rig.press()
    rig.run(1.5)
    assert rig.names() == ["feedback_on", "hold"]


def test_gestures_follow_edge_times_not_poll_cadence(rig: Rig) -> None:
    # Two taps 0.2 s apart while the loop is busy elsewhere: still a double press.
    rig.tap()
    rig.run(0.2, poll=False)
    rig.tap()
    rig.run(1.0, poll=False)
    assert rig.events == []  # nothing fires on gpiozero's callback, only in poll()
    rig.gestures.poll(rig.clock.now())
    assert rig.names() == ["double"]


def test_a_late_poll_reports_an_earlier_tap_before_a_later_hold(rig: Rig) -> None:
    rig.tap()
    rig.run(1.0, poll=False)
    rig.press()
    rig.run(4.0, poll=False)
    rig.gestures.poll(rig.clock.now())
    assert rig.names() == ["press", "feedback_on", "hold"]


def test_second_press_starting_just_inside_the_window_is_a_double_press(rig: Rig) -> None:
    # Decided by the press's own time, even though debouncing confirms it after the window.
    rig.tap()
    rig.run(0.38)
    rig.tap()
    rig.run(1.0)
    assert rig.names() == ["double"]


def test_a_lost_release_interrupt_does_not_become_a_phantom_hold(rig: Rig) -> None:
    rig.press()
    rig.run(0.2)
    rig.pin.edges = "falling"  # the release edge's interrupt is lost
    rig.release()
    rig.run(5.0)
    assert rig.names() == ["press"]


def test_callbacks_run_in_poll_not_in_the_pin_callback(rig: Rig) -> None:
    rig.press()
    rig.clock.advance(5.0)
    rig.release()
    assert rig.events == []
    rig.gestures.poll()  # default: the injected clock's now
    assert rig.names() == ["feedback_on", "hold"]  # the release is not yet debounced
    rig.clock.advance(0.05)
    rig.gestures.poll()
    assert rig.names() == ["feedback_on", "hold", "feedback_off"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hold_feedback_s": 4.0, "hold_s": 3.0},
        {"hold_feedback_s": 0.0},
        {"double_press_window_s": 0.0},
        {"debounce_s": -0.01},
    ],
)
def test_inconsistent_timings_are_refused(kwargs: dict[str, float]) -> None:
    factory = make_pin_factory("mock")
    button = make_button(BUTTON_PIN, factory)
    with pytest.raises(ValueError):
        ButtonGestures(
            button,
            now=SimulatedClock().now,
            on_press=lambda: None,
            on_double_press=lambda: None,
            on_hold=lambda: None,
            **kwargs,
        )
    factory.close()


def test_distress_button_reports_each_press_once_however_long_or_bouncy() -> None:
    clock = SimulatedClock(start=10.0)
    factory = make_pin_factory("mock", clock=clock.now)
    button = make_button(27, factory)
    pin = factory.pin(27)
    calls: list[float] = []
    distress = DistressButton(button, now=clock.now, on_distress=lambda: calls.append(clock.now()))

    def run(seconds: float) -> None:
        for _ in range(round(seconds / POLL_S)):
            clock.advance(POLL_S)
            distress.poll()

    for _ in range(3):  # a bouncy press
        pin.drive_low()
        clock.advance(0.002)
        pin.drive_high()
        clock.advance(0.002)
    pin.drive_low()
    run(5.0)  # held a long time
    pin.drive_high()
    run(0.5)
    pin.drive_low()
    run(0.2)
    pin.drive_high()
    run(0.5)
    assert len(calls) == 2
    distress.close()
    button.close()
    factory.close()
