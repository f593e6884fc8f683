"""Pin factory, button and LED construction (drivers.gpio) on gpiozero's MockFactory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import gpiozero
import pytest
from gpiozero.pins.mock import MockFactory, MockPin, MockPWMPin

from appliance.clock import SimulatedClock
from drivers.gpio import (
    PIN_FACTORY_NAMES,
    GpioUnavailable,
    make_button,
    make_led,
    make_pin_factory,
)

ON_A_PI = Path("/dev/gpiochip0").exists() and Path("/proc/device-tree/model").exists()


def test_mock_factory_has_pwm_pins_for_the_led() -> None:
    factory = make_pin_factory("mock")
    assert isinstance(factory, MockFactory)
    led = make_led(18, factory)
    led.value = 0.25
    pin = factory.pin(18)
    assert isinstance(pin, MockPWMPin)
    assert pin.state == 0.25
    assert pin.frequency == 100
    led.close()
    factory.close()


def test_button_is_pulled_up_and_pressed_when_driven_low() -> None:
    factory = make_pin_factory("mock")
    button = make_button(17, factory, hold_time=2.5)
    pin = factory.pin(17)
    assert pin.pull == "up"
    assert pin.bounce is None  # debouncing is ours, not gpiozero's
    assert button.hold_time == 2.5
    assert not button.is_pressed
    pin.drive_low()
    assert button.is_pressed
    pin.drive_high()
    assert not button.is_pressed
    button.close()
    factory.close()


def test_clocked_mock_pins_record_history_in_the_given_clock() -> None:
    clock = SimulatedClock(start=50.0)
    factory = make_pin_factory("mock", clock=clock.now)
    led = make_led(18, factory)
    pin = factory.pin(18)
    pin.clear_states()
    clock.advance(1.5)
    led.value = 1.0
    clock.advance(0.25)
    led.value = 0.0
    pin.assert_states_and_times([(0.0, 0.0), (1.5, 1.0), (0.25, 0.0)])
    assert [s.timestamp for s in pin.states] == [0.0, 1.5, 0.25]  # exact: no real time in it
    led.close()
    factory.close()


@pytest.mark.parametrize("name", ["pigpio", "native", "Mock", ""])
def test_unknown_factory_names_are_refused_listing_the_allowed_ones(name: str) -> None:
    with pytest.raises(ValueError) as err:
        make_pin_factory(name)
    message = str(err.value)
    assert "hardware.gpio.pin_factory" in message
    for allowed in PIN_FACTORY_NAMES:
        assert allowed in message


@pytest.mark.skipif(ON_A_PI, reason="a Raspberry Pi has GPIO: the error path cannot be reached")
@pytest.mark.parametrize("name", ["lgpio", "default"])
def test_no_gpio_says_what_to_install_or_to_use_mock(name: str) -> None:
    with pytest.raises(GpioUnavailable) as err:
        make_pin_factory(name)
    message = str(err.value)
    if importlib.util.find_spec("lgpio") is None:
        assert "python3-lgpio" in message and "pip install lgpio" in message
    else:
        assert "pin_factory: mock" in message
    if name == "default":
        assert "pin_factory: mock" in message


@pytest.mark.skipif(ON_A_PI, reason="a Raspberry Pi has GPIO: the error path cannot be reached")
def test_missing_rpigpio_is_a_clear_error() -> None:
    with pytest.raises(GpioUnavailable, match=r"RPi\.GPIO|GPIO chip"):
        make_pin_factory("rpigpio")


def test_invalid_pins_are_refused_with_the_pin_number() -> None:
    factory = make_pin_factory("mock")
    with pytest.raises(ValueError, match="GPIO99"):
        make_button(99, factory)
    with pytest.raises(ValueError, match="GPIO99"):
        make_led(99, factory)
    factory.close()


def test_a_factory_without_pwm_cannot_dim_the_led() -> None:
    factory = MockFactory(pin_class=MockPin)
    with pytest.raises(GpioUnavailable, match="lgpio"):
        make_led(18, factory)
    factory.close()


def test_devices_use_the_given_factory_not_gpiozeros_global_default() -> None:
    factory = make_pin_factory("mock")
    button = make_button(17, factory)
    assert button.pin_factory is factory
    assert gpiozero.Device.pin_factory is None or gpiozero.Device.pin_factory is not factory
    button.close()
    factory.close()
