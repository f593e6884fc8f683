"""The staff button, the optional second button and the LED, wired for the service.

Devices come from drivers.gpio with the configured pin factory; gestures and patterns from
appliance.ui. Callbacks run inside `poll()`, on the service loop's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gpiozero

from appliance.ui import ButtonGestures, DistressButton, LedPatterns
from drivers.gpio import make_button, make_led


@dataclass
class ButtonActions:
    on_press: Callable[[], None]
    on_double_press: Callable[[], None]
    on_hold: Callable[[], None]
    on_second: Callable[[], None] = lambda: None  # the second button's press, if any
    # Asked at a first press-down: True when it acted on the press at once (see gestures).
    on_press_down: Callable[[], bool] = lambda: False
    on_press_cancelled: Callable[[], None] = lambda: None  # that press became a hold


class Controls:
    def __init__(
        self,
        factory: gpiozero.Factory,
        *,
        now: Callable[[], float],
        button_pin: int,
        led_pin: int,
        actions: ButtonActions,
        second_button_pin: int | None = None,
    ) -> None:
        self._devices: list[gpiozero.Device] = []
        self.led_device = self._own(make_led(led_pin, factory))
        self.leds = LedPatterns(self.led_device, now=now)
        self.leds.show("booting")
        self.button = self._own(make_button(button_pin, factory))
        self.gestures = ButtonGestures(
            self.button,
            now=now,
            on_press=actions.on_press,
            on_double_press=actions.on_double_press,
            on_hold=actions.on_hold,
            on_hold_feedback=self._hold_feedback,
            on_press_down=actions.on_press_down,
            on_press_cancelled=actions.on_press_cancelled,
        )
        self.second: DistressButton | None = None
        if second_button_pin is not None:
            second = self._own(make_button(second_button_pin, factory))
            # DistressButton is "any debounced press, once": right for a volume step too.
            self.second = DistressButton(second, now=now, on_distress=actions.on_second)

    def _own(self, device):
        self._devices.append(device)
        return device

    def _hold_feedback(self, active: bool) -> None:
        if active:
            self.leds.show("hold_feedback")
        else:
            self.leds.clear("hold_feedback")

    def poll(self, now: float) -> None:
        self.gestures.poll(now)
        if self.second is not None:
            self.second.poll(now)
        self.leds.poll(now)

    def close(self) -> None:
        self.gestures.close()
        if self.second is not None:
            self.second.close()
        for device in reversed(self._devices):
            device.close()
