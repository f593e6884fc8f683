"""The checks that span several configuration keys (schema.py holds what each key may be)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.config.pins import claimed_pins, free_pins
from appliance.config.schema import MAX30102_SPO2_MAX_SAMPLE_RATE_SPS
from appliance.vocabulary import DEFAULT_SOUNDFONT, SOUNDFONT_PACKAGE


@dataclass(frozen=True)
class CrossCheck:
    """A rule over several keys; `keys` are the ones the problem may be reported against."""

    keys: tuple[str, ...]
    check: Callable[[Mapping[str, Any]], str | None]  # message, or None when fine


def _max30102_timing(v: Mapping[str, Any]) -> str | None:
    rate, width = v["hardware.ppg.sample_rate"], v["hardware.ppg.pulse_width_us"]
    limit = MAX30102_SPO2_MAX_SAMPLE_RATE_SPS[width]
    if rate <= limit:
        return None
    return (
        f"{rate} samples/s with pulse_width_us {width} is not allowed by the MAX30102 in "
        f"SpO2 mode; at {width} µs use at most {limit} samples/s"
    )


def _less(smaller: str, larger: str) -> Callable[[Mapping[str, Any]], str | None]:
    def check(v: Mapping[str, Any]) -> str | None:
        if v[smaller] < v[larger]:
            return None
        return f"{smaller} ({v[smaller]:g}) must be less than {larger} ({v[larger]:g})"

    return check


def _gpio_pins(v: Mapping[str, Any]) -> str | None:
    button, led = v["hardware.gpio.button_pin"], v["hardware.gpio.led_pin"]
    if button == led:
        return f"button_pin and led_pin are both GPIO {button}"
    return None  # I2C and the sound card's pins: _pin_is_free


def _second_button_pin(v: Mapping[str, Any]) -> str | None:
    if v["hardware.gpio.second_button"] == "none":
        return None
    pin = v["hardware.gpio.second_button_pin"]
    if pin in (v["hardware.gpio.button_pin"], v["hardware.gpio.led_pin"]):
        return f"second_button_pin GPIO {pin} is already the button or the LED"
    return None


def _pin_is_free(pin_key: str) -> Callable[[Mapping[str, Any]], str | None]:
    """The pin at `pin_key` is not one the sound card (audio.hat), I2C or a HAT's EEPROM uses."""
    optional = pin_key == "hardware.gpio.second_button_pin"

    def check(v: Mapping[str, Any]) -> str | None:
        if optional and v["hardware.gpio.second_button"] == "none":
            return None
        pin, hat, bus = v[pin_key], v["audio.hat"], v["hardware.i2c_bus"]
        use = claimed_pins(hat, bus).get(pin)
        if use is None:
            return None
        taken = {v[k] for k in GPIO_PIN_KEYS}
        free = ", ".join(f"GPIO{p}" for p in free_pins(hat, bus, taken)[:4])
        name = pin_key.rsplit(".", 1)[1]
        return f"{name} GPIO {pin} is the {use} (audio.hat: {hat}); use a free pin, e.g. {free}"

    return check


def _ble_addresses(v: Mapping[str, Any]) -> str | None:
    if v["hardware.ble_hr.enabled"] and not v["hardware.ble_hr.addresses"]:
        return "ble_hr is enabled but no addresses are listed (only listed straps connect)"
    return None


def _gsr_polling(v: Mapping[str, Any]) -> str | None:
    poll, rate = v["hardware.gsr.poll_hz"], v["hardware.gsr.data_rate"]
    if poll <= rate:
        return None
    return f"poll_hz {poll} is faster than the ADS1115 converts (data_rate {rate})"


def _gsr_supply_channel(v: Mapping[str, Any]) -> str | None:
    supply, signal = v["hardware.gsr.supply_channel"], v["hardware.gsr.channel"]
    if supply != signal:
        return None
    return f"supply_channel AIN{supply} is also the GSR's signal input (channel); use a spare one"


def _segment_fits(v: Mapping[str, Any]) -> str | None:
    music_min = v["session.length_min"] - v["session.calibration_min"]
    if music_min <= 0 or v["session.segment_min"] <= music_min:  # <= 0: another check's
        return None
    return (
        f"segment_min ({v['session.segment_min']:g}) is longer than the session after "
        f"calibration ({music_min:g} min)"
    )


def _crossfade_fits(v: Mapping[str, Any]) -> str | None:
    segment_s = v["session.segment_min"] * 60.0
    if v["audio.crossfade_s"] < segment_s:
        return None
    crossfade_s = v["audio.crossfade_s"]
    return f"crossfade_s ({crossfade_s:g}) must be shorter than a segment ({segment_s:g} s)"


def _soundfont_installed(v: Mapping[str, Any]) -> str | None:
    # Read at check time, not at import: the soundfont may be installed after the code.
    path = Path(v["music.soundfont"])
    if path.is_file():
        return None
    problem = "is not a file" if path.exists() else "does not exist"
    if path == DEFAULT_SOUNDFONT:
        return (
            f"the soundfont {path} {problem}: install the Debian package {SOUNDFONT_PACKAGE} "
            f"(sudo apt-get install {SOUNDFONT_PACKAGE})"
        )
    return (
        f"the soundfont {path} {problem}: give an .sf2 or .sf3 file, or leave music.soundfont "
        f"out for {DEFAULT_SOUNDFONT} (Debian package {SOUNDFONT_PACKAGE})"
    )


GPIO_PIN_KEYS = (
    "hardware.gpio.led_pin",
    "hardware.gpio.button_pin",
    "hardware.gpio.second_button_pin",
)

CROSS_CHECKS: tuple[CrossCheck, ...] = (
    CrossCheck(("hardware.ppg.sample_rate", "hardware.ppg.pulse_width_us"), _max30102_timing),
    CrossCheck(
        ("session.calibration_min", "session.length_min"),
        _less("session.calibration_min", "session.length_min"),
    ),
    CrossCheck(
        ("session.segment_min", "session.length_min", "session.calibration_min"), _segment_fits
    ),
    CrossCheck(
        ("session.update_s", "session.window_s"), _less("session.update_s", "session.window_s")
    ),
    CrossCheck(
        ("safety.hr_min_bpm", "safety.hr_max_bpm"), _less("safety.hr_min_bpm", "safety.hr_max_bpm")
    ),
    CrossCheck(
        ("hardware.gpio.button_pin", "hardware.gpio.led_pin", "hardware.i2c_bus"), _gpio_pins
    ),
    CrossCheck(("hardware.ble_hr.enabled", "hardware.ble_hr.addresses"), _ble_addresses),
    CrossCheck(
        (
            "hardware.gpio.second_button_pin",
            "hardware.gpio.second_button",
            "hardware.gpio.button_pin",
            "hardware.gpio.led_pin",
        ),
        _second_button_pin,
    ),
    CrossCheck(("hardware.gsr.poll_hz", "hardware.gsr.data_rate"), _gsr_polling),
    CrossCheck(("hardware.gsr.supply_channel", "hardware.gsr.channel"), _gsr_supply_channel),
    CrossCheck(("audio.crossfade_s", "session.segment_min"), _crossfade_fits),
    CrossCheck(("music.soundfont",), _soundfont_installed),
    *(
        CrossCheck(
            (key, "audio.hat", "hardware.i2c_bus", "hardware.gpio.second_button"),
            _pin_is_free(key),
        )
        for key in GPIO_PIN_KEYS
    ),
)


__all__ = ["CROSS_CHECKS", "CrossCheck"]
