"""LED patterns checked in the mock PWM pin's recorded history, timed by a SimulatedClock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import pytest

from appliance.clock import SimulatedClock
from appliance.ui import LedPatterns
from appliance.ui.led import (
    PULSE_HIGH,
    PULSE_LOW,
    READY_LEVEL,
    SESSION_PULSE_PERIOD_S,
    STAFF_ALERT_FLASH_S,
    pattern_level,
    quantise,
)
from drivers.gpio import make_led, make_pin_factory

POLL_S = 0.02  # the service loop's cadence in these tests
LED_PIN = 18


@dataclass
class Rig:
    clock: SimulatedClock
    pin: object
    leds: LedPatterns

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / POLL_S)):
            self.clock.advance(POLL_S)
            self.leds.poll()

    def history(self) -> list[tuple[float, float]]:
        """(time since clear_states, level) of every change the pin recorded."""
        t, out = 0.0, []
        for state in self.pin.states:
            t += state.timestamp
            out.append((t, float(state.state)))
        return out


@pytest.fixture
def rig() -> Iterator[Rig]:
    clock = SimulatedClock(start=1000.0)
    factory = make_pin_factory("mock", clock=clock.now)
    led = make_led(LED_PIN, factory)
    leds = LedPatterns(led, now=clock.now)
    pin = factory.pin(LED_PIN)
    pin.clear_states()
    yield Rig(clock, pin, leds)
    led.close()
    factory.close()


def rises_to(history: list[tuple[float, float]], level: float) -> list[float]:
    """Times at which the level rose to `level` (the start of each plateau at that level)."""
    return [
        t for (t, v), (_, before) in zip(history[1:], history, strict=False) if v == level > before
    ]


def intervals(times: list[float]) -> list[float]:
    return [b - a for a, b in pairwise(times)]


def test_ready_is_one_steady_dim_level(rig: Rig) -> None:
    rig.leds.show("ready")
    rig.run(10.0)
    rig.pin.assert_states_and_times([(0.0, 0.0), (0.0, quantise(READY_LEVEL))])
    assert len(rig.pin.states) == 2  # never rewritten: steady
    assert 0 < quantise(READY_LEVEL) <= 0.2  # dim


def test_session_pulses_about_six_times_a_minute(rig: Rig) -> None:
    rig.leds.show("session")
    rig.run(60.0)
    history = rig.history()
    levels = [v for _t, v in history]
    assert min(levels[1:]) == quantise(PULSE_LOW) and max(levels) == quantise(PULSE_HIGH)
    peaks = rises_to(history, quantise(PULSE_HIGH))
    assert len(peaks) == 6
    for period in intervals(peaks):
        assert period == pytest.approx(SESSION_PULSE_PERIOD_S, abs=2 * POLL_S)
    steps = [abs(b - a) for a, b in pairwise(levels[1:])]
    assert max(steps) < 0.02  # a smooth pulse, no blinking


def test_breathing_pulse_follows_the_breathing_period(rig: Rig) -> None:
    rig.leds.show("breathing")
    rig.leds.set_breathing(4.0)
    rig.run(20.0)
    rig.leds.set_breathing(6.0)
    rig.run(30.0)
    history = rig.history()
    peaks = rises_to(history, quantise(PULSE_HIGH))
    first = [p for p in peaks if p < 20.0]
    later = [p for p in peaks if p > 20.0 + 6.0]
    assert len(first) == 5
    for period in intervals(first):
        assert period == pytest.approx(4.0, abs=2 * POLL_S)
    assert len(later) >= 3
    for period in intervals(later):
        assert period == pytest.approx(6.0, abs=2 * POLL_S)
    levels = [v for _t, v in history[1:]]
    steps = [abs(b - a) for a, b in pairwise(levels)]
    assert max(steps) < 0.03  # no jump when the period changed


def test_staff_alert_is_triple_full_flashes_overriding_everything_until_cleared(rig: Rig) -> None:
    rig.leds.show("session")
    rig.run(1.0)
    rig.pin.clear_states()
    rig.leds.show("staff_alert")
    rig.run(2.4)
    rig.leds.show("ready")  # the service carries on underneath
    rig.leds.show("hold_feedback")
    rig.run(2.4)
    history = rig.history()
    assert {v for _t, v in history[1:]} == {0.0, 1.0}  # full-brightness flashes only
    flashes_at = rises_to(history, 1.0)
    assert len(flashes_at) == 18  # 3 per 0.8 s, for 4.8 s
    gaps = [round(gap, 2) for gap in intervals(flashes_at)]
    within, between = 2 * STAFF_ALERT_FLASH_S, 0.8 - 4 * STAFF_ALERT_FLASH_S
    for i, gap in enumerate(gaps):
        expected = between if i % 3 == 2 else within
        assert gap == pytest.approx(expected, abs=POLL_S + 1e-6)
    assert rig.leds.current == "staff_alert"

    rig.leds.clear("staff_alert")
    assert rig.leds.current == "hold_feedback"
    rig.leds.clear("hold_feedback")
    rig.run(0.1)
    assert rig.leds.current == "ready"
    assert rig.pin.state == quantise(READY_LEVEL)


@pytest.mark.parametrize("other", ["booting", "error", "sensor_lost"])
def test_staff_alert_looks_unlike_any_other_blink(rig: Rig, other: str) -> None:
    def signature(pattern: str) -> tuple[int, float]:
        rig.leds.show("off")
        rig.pin.clear_states()
        rig.leds.show(pattern)
        rig.run(4.0)
        history = rig.history()
        brightest = max(v for _t, v in history)
        return len(rises_to(history, brightest)), brightest

    alert = signature("staff_alert")
    rig.leds.clear("staff_alert")
    assert signature(other) != alert
    assert alert == (15, 1.0)


def test_sensor_lost_double_blinks_every_two_seconds(rig: Rig) -> None:
    rig.leds.show("ready")
    rig.leds.show("sensor_lost")
    rig.run(6.0)
    flashes_at = rises_to(rig.history(), max(v for _t, v in rig.history()))
    assert len(flashes_at) == 6
    assert [round(g, 2) for g in intervals(flashes_at)] == pytest.approx(
        [0.3, 1.7, 0.3, 1.7, 0.3], abs=POLL_S + 1e-6
    )


def test_hold_feedback_is_solid_bright_and_the_pulse_resumes_in_phase(rig: Rig) -> None:
    rig.leds.show("session")
    shown_at = rig.clock.now()
    rig.run(3.0)
    rig.leds.show("hold_feedback")
    rig.run(1.5)
    assert rig.pin.state == 1.0
    rig.leds.clear("hold_feedback")
    rig.run(1.0)
    assert rig.pin.state == quantise(pattern_level("session", rig.clock.now() - shown_at))


def test_shutting_down_fades_out_and_stays_dark(rig: Rig) -> None:
    rig.leds.show("ready")
    rig.leds.show("shutting_down")
    rig.run(5.0)
    levels = [v for _t, v in rig.history()][2:]
    assert levels[0] > 0.95
    assert all(b < a for a, b in pairwise(levels))
    assert levels[-1] == 0.0
    assert rig.history()[-1][0] == pytest.approx(3.0, abs=2 * POLL_S)


def test_showing_the_same_pattern_again_keeps_its_rhythm(rig: Rig) -> None:
    rig.leds.show("session")
    rig.run(2.0)
    level = rig.pin.state
    rig.leds.show("session")
    assert rig.pin.state == level
    assert level > quantise(PULSE_LOW)


def test_unknown_patterns_and_impossible_breathing_are_refused(rig: Rig) -> None:
    with pytest.raises(ValueError, match="sparkle"):
        rig.leds.show("sparkle")
    with pytest.raises(ValueError):
        rig.leds.set_breathing(0.2)
    with pytest.raises(ValueError):
        rig.leds.set_breathing(120.0)
