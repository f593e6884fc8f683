"""The button and LED stay off the pins the sound card, I2C and a HAT's EEPROM use."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import ConfigError, load_config
from appliance.config.pins import AUDIO_HAT_PINS, I2S_PINS, claimed_pins
from tests.appliance.config.test_config_loader import problems_of, write


def test_the_default_led_pin_is_free_whatever_sound_card_is_fitted(tmp_path: Path) -> None:
    config = load_config(None, etc_dir=tmp_path)
    led = config.hardware.gpio.led_pin
    for hat in AUDIO_HAT_PINS:
        if not hat.startswith("audremap"):  # PWM audio moved onto GPIO12/13 is no HAT
            assert led not in claimed_pins(hat, 1), hat
    problems = problems_of(write(tmp_path / "a.yaml", "audio:\n  hat: audremap-12-13\n"))
    assert ["PWM audio right" in p.message for p in problems] == [True]


@pytest.mark.parametrize("pin", sorted(I2S_PINS))
def test_an_i2s_card_refuses_the_led_on_its_pins(tmp_path: Path, pin: int) -> None:
    path = write(
        tmp_path / "a.yaml", f"hardware:\n  gpio:\n    led_pin: {pin}\naudio:\n  hat: i2s\n"
    )
    (problem,) = problems_of(path)
    assert (problem.line, problem.key) == (3, "hardware.gpio.led_pin")
    assert f"led_pin GPIO {pin} is the {I2S_PINS[pin]} (audio.hat: i2s)" in problem.message
    assert "use a free pin, e.g. GPIO" in problem.message


def test_without_a_sound_card_on_the_header_gpio18_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "hardware:\n  gpio:\n    led_pin: 18\n")
    load_config(path, etc_dir=tmp_path / "etc")


def test_a_board_s_own_extra_pins_are_refused_and_blamed_on_the_key_set(tmp_path: Path) -> None:
    # The Amp100 resets its DAC on GPIO17, where the button sits by default.
    path = write(tmp_path / "a.yaml", "audio:\n  hat: hifiberry-amp100\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.key) == (2, "audio.hat")
    assert "button_pin GPIO 17 is the HiFiBerry Amp100 reset" in problem.message
    fixed = write(
        tmp_path / "b.yaml",
        "audio:\n  hat: hifiberry-amp100\nhardware:\n  gpio:\n    button_pin: 5\n",
    )
    load_config(fixed, etc_dir=tmp_path / "etc")


def test_i2c_and_eeprom_pins_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.yaml",
        "hardware:\n  gpio:\n    button_pin: 2\n"
        "    second_button: volume\n    second_button_pin: 0\n",
    )
    found = {p.key: p.message for p in problems_of(path)}
    assert "I2C bus 1 SDA" in found["hardware.gpio.button_pin"]
    assert "HAT EEPROM ID_SD" in found["hardware.gpio.second_button_pin"]


def test_an_unused_second_button_pin_is_not_checked(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "audio:\n  hat: rpi-codec-zero\n")  # claims GPIO27
    load_config(path, etc_dir=tmp_path / "etc")


def test_an_unknown_board_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "audio:\n  hat: hifiberry\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, etc_dir=tmp_path / "etc")
    assert "hifiberry-amp100" in str(info.value) and "a.yaml:2" in str(info.value)
