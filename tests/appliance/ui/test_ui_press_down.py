"""The press-down fast path: acting on a first press at once, and withdrawing it if the press
turns into a hold. gpiozero's MockFactory pins, a SimulatedClock; never sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.clock import SimulatedClock
from appliance.ui import ButtonGestures
from drivers.gpio import make_button, make_pin_factory
from tests.appliance.ui.test_ui_gestures import BUTTON_PIN, POLL_S, Rig

DEBOUNCE_S = 0.05


def make_rig(claim: bool) -> tuple[Rig, ButtonGestures, object, object]:
    clock = SimulatedClock(start=500.0)
    factory = make_pin_factory("mock", clock=clock.now)
    button = make_button(BUTTON_PIN, factory)
    events: list[tuple[str, float]] = []

    def record(name: str):
        return lambda: events.append((name, clock.now()))

    def press_down() -> bool:
        events.append(("down", clock.now()))
        return claim

    gestures = ButtonGestures(
        button,
        now=clock.now,
        on_press=record("press"),
        on_double_press=record("double"),
        on_hold=record("hold"),
        on_hold_feedback=lambda on: events.append((f"feedback_{'on' if on else 'off'}", 0.0)),
        on_press_down=press_down,
        on_press_cancelled=record("cancelled"),
        debounce_s=DEBOUNCE_S,
    )
    return Rig(clock, factory.pin(BUTTON_PIN), gestures, events), gestures, button, factory


def _rig(claim: bool) -> Iterator[Rig]:
    rig, gestures, button, factory = make_rig(claim)
    yield rig
    rig.pin.drive_high()
    gestures.close()
    button.close()
    factory.close()


@pytest.fixture
def claiming() -> Iterator[Rig]:
    yield from _rig(True)


@pytest.fixture
def declining() -> Iterator[Rig]:
    yield from _rig(False)


def test_a_claimed_tap_acts_at_the_press_down_and_reports_no_press(claiming: Rig) -> None:
    claiming.press()
    pressed_at = claiming.clock.now()
    claiming.run(0.1)
    assert claiming.names() == ["down"]  # before the release, let alone the window
    assert claiming.events[0][1] - pressed_at <= DEBOUNCE_S + 2 * POLL_S
    claiming.release()
    claiming.run(2.0)
    assert claiming.names() == ["down"]


def test_a_second_tap_after_a_claimed_one_means_nothing(claiming: Rig) -> None:
    claiming.tap()
    claiming.run(0.2)
    claiming.tap()
    claiming.run(2.0)
    assert claiming.names() == ["down"]
    claiming.tap()  # well after the window: a fresh first press, asked again
    claiming.run(1.0)
    assert claiming.names() == ["down", "down"]


def test_a_claimed_press_held_is_cancelled_at_the_feedback_then_holds(claiming: Rig) -> None:
    claiming.press()
    claiming.run(0.9)
    assert "cancelled" not in claiming.names()
    claiming.run(0.2)
    assert claiming.names() == ["down", "cancelled", "feedback_on"]
    claiming.run(2.5)
    claiming.release()
    claiming.run(1.0)
    assert claiming.names() == ["down", "cancelled", "feedback_on", "hold", "feedback_off"]


def test_a_claimed_tap_then_a_long_press_cancels_and_holds(claiming: Rig) -> None:
    claiming.tap()
    claiming.run(0.2)
    claiming.press()  # the tap was a fumble on the way to holding
    claiming.run(3.5)
    assert claiming.names() == ["down", "cancelled", "feedback_on", "hold"]


def test_a_claimed_press_released_between_one_and_three_seconds_only_cancels(
    claiming: Rig,
) -> None:
    claiming.press()
    claiming.run(2.0)
    claiming.release()
    claiming.run(3.0)
    assert claiming.names() == ["down", "cancelled", "feedback_on", "feedback_off"]


def test_declined_press_down_keeps_the_usual_gestures(declining: Rig) -> None:
    declining.tap()
    declining.run(1.0)
    declining.tap()
    declining.run(0.2)
    declining.tap()
    declining.run(1.0)
    assert declining.names() == ["down", "press", "down", "double"]
    declining.events.clear()
    declining.press()
    declining.run(3.5)
    assert declining.names() == ["down", "feedback_on", "hold"]  # never cancelled, never a press
