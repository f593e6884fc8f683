"""Button and LED construction with the configured gpiozero pin factory.

The factory is built once, in the composition root, from `hardware.gpio.pin_factory` and passed
to every device (gpiozero's `pin_factory=`), so nothing depends on gpiozero's global default.
No application logic here: gestures and LED patterns live in appliance.ui.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import gpiozero
from gpiozero.pins.mock import MockFactory, MockPWMPin, PinState

PIN_FACTORY_NAMES = ("default", "lgpio", "rpigpio", "mock")

CONFIG_KEY = "hardware.gpio.pin_factory"
LED_PWM_FREQUENCY_HZ = 100  # gpiozero's default; flicker-free to the eye, light on lgpio's CPU

_LGPIO_HINT = (
    "install Debian's python3-lgpio (apt install python3-lgpio) or the lgpio wheel "
    "(pip install lgpio); lgpio is the only backend that works on a Raspberry Pi 5"
)
_RPIGPIO_HINT = (
    "install Debian's python3-rpi-lgpio or python3-rpi.gpio; RPi.GPIO does not work on a "
    "Raspberry Pi 5: use pin_factory: lgpio there"
)
_NO_GPIO_HINT = f"on a machine without GPIO (a laptop, CI) set {CONFIG_KEY}: mock"


class GpioUnavailable(RuntimeError):
    """The configured GPIO backend cannot be used here; the message says what to do."""


def make_pin_factory(name: str, *, clock: Callable[[], float] | None = None) -> gpiozero.Factory:
    """Build the pin factory named in `hardware.gpio.pin_factory`.

    "default" lets gpiozero choose (lgpio, then RPi.GPIO, pigpio, native); "lgpio" and "rpigpio"
    force a backend; "mock" is gpiozero's MockFactory with PWM-capable pins, for tests and the
    demo. With `clock` (a callable returning monotonic seconds, e.g. SimulatedClock.now) the
    mock pins stamp their recorded history with that clock instead of real time.
    """
    if name not in PIN_FACTORY_NAMES:
        allowed = ", ".join(PIN_FACTORY_NAMES)
        raise ValueError(f"Invalid value {name!r} for key {CONFIG_KEY}: allowed: {allowed}")
    if name == "mock":
        pin_class = MockPWMPin if clock is None else clocked_mock_pwm_pin_class(clock)
        return MockFactory(pin_class=pin_class)
    if name == "lgpio":
        return _open_backend(_lgpio_factory, "lgpio", _LGPIO_HINT)
    if name == "rpigpio":
        return _open_backend(_rpigpio_factory, "RPi.GPIO", _RPIGPIO_HINT)
    return _default_factory()


def make_button(pin: int, factory: gpiozero.Factory, *, hold_time: float = 3.0) -> gpiozero.Button:
    """A push button between `pin` (BCM numbering) and ground, using the internal pull-up.

    gpiozero's bounce_time stays off: debouncing is done by appliance.ui from edge times, the
    same way on every backend (the mock does not emulate bounce_time at all). `hold_time` only
    sets gpiozero's own `is_held`/`held_time`; gestures are timed by appliance.ui. Closing the
    button while it is pressed waits up to `hold_time` for gpiozero's hold thread.
    """
    try:
        return gpiozero.Button(
            pin, pull_up=True, bounce_time=None, hold_time=hold_time, pin_factory=factory
        )
    except gpiozero.PinInvalidPin as exc:
        raise ValueError(f"GPIO{pin} is not a valid BCM pin for the button: {exc}") from exc


def make_led(pin: int, factory: gpiozero.Factory) -> gpiozero.PWMLED:
    """A PWM-dimmed LED on `pin` (BCM numbering), active high, starting dark."""
    try:
        return gpiozero.PWMLED(
            pin, initial_value=0, frequency=LED_PWM_FREQUENCY_HZ, pin_factory=factory
        )
    except gpiozero.PinInvalidPin as exc:
        raise ValueError(f"GPIO{pin} is not a valid BCM pin for the LED: {exc}") from exc
    except gpiozero.PinPWMUnsupported as exc:
        raise GpioUnavailable(
            f"the pin factory cannot dim an LED on GPIO{pin} ({exc}); "
            f"set {CONFIG_KEY}: lgpio and {_LGPIO_HINT}"
        ) from exc


def clocked_mock_pwm_pin_class(clock: Callable[[], float]) -> type[MockPWMPin]:
    """A MockPWMPin whose `states` history is timed by `clock` instead of time.monotonic.

    The mock's own timing is real time, so a pattern driven by a simulated clock would be
    recorded with meaningless intervals; this keeps `pin.states` and
    `assert_states_and_times()` exact in the clock that drove the pattern.
    """

    class ClockedMockPWMPin(MockPWMPin):
        def _change_state(self, value: float) -> bool:
            if self._state != value:
                t = clock()
                self._state = value
                self.states.append(PinState(t - self._last_change, value))
                self._last_change = t
                return True
            return False

        def clear_states(self) -> None:
            self._last_change = clock()
            self.states = [PinState(0.0, self._state)]

    return ClockedMockPWMPin


def _lgpio_factory() -> gpiozero.Factory:
    from gpiozero.pins.lgpio import LGPIOFactory

    return LGPIOFactory()


def _rpigpio_factory() -> gpiozero.Factory:
    from gpiozero.pins.rpigpio import RPiGPIOFactory

    return RPiGPIOFactory()


def _open_backend(
    build: Callable[[], gpiozero.Factory], package: str, install_hint: str
) -> gpiozero.Factory:
    try:
        return build()
    except ImportError as exc:
        raise GpioUnavailable(
            f"GPIO backend {package} is not installed ({exc}): {install_hint}"
        ) from exc
    except Exception as exc:  # each backend raises its own types when the chip is absent
        raise GpioUnavailable(
            f"GPIO backend {package} cannot open the GPIO chip ({type(exc).__name__}: {exc}); "
            f"check that this is a Raspberry Pi and the user is in group gpio; {_NO_GPIO_HINT}"
        ) from exc


def _default_factory() -> gpiozero.Factory:
    # gpiozero warns once per backend it skips; gather those into one readable error instead,
    # and pass every other warning on (e.g. falling back to the PWM-less native backend).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            factory = gpiozero.Device._default_pin_factory()
        except gpiozero.BadPinFactory as exc:
            reasons = "; ".join(str(w.message) for w in caught) or str(exc)
            raise GpioUnavailable(
                f"no GPIO backend works here ({reasons}). On a Raspberry Pi {_LGPIO_HINT}; "
                f"{_NO_GPIO_HINT}"
            ) from exc
    for w in caught:
        if not issubclass(w.category, gpiozero.PinFactoryFallback):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return factory
