"""Button and LED together, wired as the service wires them, on one mock factory and clock."""

from __future__ import annotations

from appliance.clock import SimulatedClock
from appliance.ui import ButtonGestures, LedPatterns
from appliance.ui.led import READY_LEVEL, pattern_level, quantise
from drivers.gpio import make_button, make_led, make_pin_factory

POLL_S = 0.02


def test_hold_lights_the_led_at_one_second_then_fades_out_for_shutdown() -> None:
    clock = SimulatedClock(start=0.0)
    factory = make_pin_factory("mock", clock=clock.now)
    button, led = make_button(17, factory), make_led(18, factory)
    leds = LedPatterns(led, now=clock.now)
    actions: list[str] = []

    def on_press() -> None:
        actions.append("toggle_session")
        leds.show("session")

    def on_hold() -> None:
        actions.append("shutdown")
        leds.show("shutting_down")

    def on_hold_feedback(active: bool) -> None:
        leds.show("hold_feedback") if active else leds.clear("hold_feedback")

    gestures = ButtonGestures(
        button,
        now=clock.now,
        on_press=on_press,
        on_double_press=lambda: actions.append("like"),
        on_hold=on_hold,
        on_hold_feedback=on_hold_feedback,
    )

    def run(seconds: float) -> None:
        for _ in range(round(seconds / POLL_S)):
            clock.advance(POLL_S)
            gestures.poll()
            leds.poll()

    leds.show("ready")
    led_pin, button_pin = factory.pin(18), factory.pin(17)
    button_pin.drive_low()
    run(0.9)
    assert led_pin.state == quantise(READY_LEVEL)  # a tap so far: nothing shown yet
    run(0.2)
    assert led_pin.state == 1.0  # past 1 s: "keep holding"
    run(2.0)
    assert actions == ["shutdown"]
    run(1.0)
    assert 0.0 < led_pin.state < 1.0  # fading, though the button is still held
    button_pin.drive_high()
    run(3.0)
    assert led_pin.state == 0.0
    assert actions == ["shutdown"]  # never a session start on a long press

    gestures.close()
    button.close()
    led.close()
    factory.close()


def test_tap_starts_the_session_pulse_after_the_double_press_window() -> None:
    clock = SimulatedClock(start=0.0)
    factory = make_pin_factory("mock", clock=clock.now)
    button, led = make_button(17, factory), make_led(18, factory)
    leds = LedPatterns(led, now=clock.now)
    leds.show("ready")
    started: list[float] = []

    def on_press() -> None:
        started.append(clock.now())
        leds.show("session")

    gestures = ButtonGestures(
        button, now=clock.now, on_press=on_press, on_double_press=lambda: None, on_hold=lambda: None
    )
    button_pin, led_pin = factory.pin(17), factory.pin(18)
    button_pin.drive_low()
    for _ in range(10):
        clock.advance(POLL_S)
        gestures.poll()
    button_pin.drive_high()
    released_at = clock.now()
    for _ in range(round(5.0 / POLL_S)):
        clock.advance(POLL_S)
        gestures.poll()
        leds.poll()
    assert len(started) == 1
    assert 0.4 <= started[0] - released_at <= 0.4 + 2 * POLL_S
    assert leds.current == "session"
    expected = quantise(pattern_level("session", clock.now() - started[0]))
    assert led_pin.state == expected > quantise(READY_LEVEL)  # well into the first pulse
    gestures.close()
    button.close()
    led.close()
    factory.close()
