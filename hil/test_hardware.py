"""The real parts on a wired Pi: sensors over I2C, the button and LED, the speaker, the strap.

See conftest.py for how to run these; each test says what the operator must do. The checks that
a driver reads its sensor right (red against IR, the full FIFO, the GSR's trimmer and K, the
strap's RR and reconnect) are in test_sensors.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
import smbus2

from appliance import parts
from appliance.clock import MonotonicClock
from appliance.config import Config
from appliance.hwcheck.checks import run_checks
from appliance.hwcheck.probes import FAIL, chime_frames, format_table
from drivers.gpio import make_button, make_led
from drivers.max30102 import PART_ID, Max30102

STREAM_S = 10.0
POLL_S = 0.05  # well inside the FIFO's 32 samples (320 ms at 100 sps)
RATE_TOLERANCE = 0.03  # the MAX30102's oscillator is within a few percent
BUTTON_WAIT_S = 15.0


# Every part is opened through the wiring root, exactly as the service opens it.
CLOCK = MonotonicClock()


@pytest.fixture
def bus(hil_config: Config) -> Iterator[smbus2.SMBus]:
    with parts.open_bus(hil_config, CLOCK) as bus:
        yield bus


@pytest.fixture
def pin_factory(hil_config: Config):
    factory = parts.open_pin_factory(hil_config)
    yield factory
    factory.close()


def make_ppg(bus: smbus2.SMBus, config: Config) -> Max30102:
    return parts.ppg_part(config).open(bus, config, CLOCK)


def test_max30102_part_id(bus: smbus2.SMBus, hil_config: Config) -> None:
    assert make_ppg(bus, hil_config).probe()["part_id"] == PART_ID


def test_fifo_streams_at_the_configured_rate_without_overflow(
    bus: smbus2.SMBus, hil_config: Config
) -> None:
    rate = hil_config.hardware.ppg.sample_rate
    with make_ppg(bus, hil_config) as ppg:
        start = time.monotonic()
        timestamps = []
        while time.monotonic() - start < STREAM_S:
            timestamps.append(ppg.read().t)
            time.sleep(POLL_S)
        elapsed = time.monotonic() - start
        overflow = ppg.overflow_samples
    t = np.concatenate(timestamps)
    assert overflow == 0
    assert len(t) == pytest.approx(rate * elapsed, rel=RATE_TOLERANCE)
    assert np.all(np.diff(t) > 0)


def test_button_press_is_seen(operator, pin_factory, hil_config: Config) -> None:
    pin = hil_config.hardware.gpio.button_pin
    with make_button(pin, pin_factory) as button:
        assert not button.is_pressed, f"GPIO{pin} reads pressed before anyone touched it"
        operator.say(f"press and release the button (GPIO{pin}) within {BUTTON_WAIT_S:g} s")
        assert button.wait_for_press(timeout=BUTTON_WAIT_S), "no press seen"
        assert button.wait_for_release(timeout=BUTTON_WAIT_S), "the button never came back up"


def test_led_lights_and_dims(operator, pin_factory, hil_config: Config) -> None:
    pin = hil_config.hardware.gpio.led_pin
    with make_led(pin, pin_factory) as led:
        led.value = 1.0
        assert operator.confirm(f"is the LED on GPIO{pin} lit?")
        led.value = 0.1
        assert operator.confirm("is it now dim but still on?")
        led.value = 0.0
        assert operator.confirm("and now off?")


def test_speaker_plays_the_test_chime(operator, hil_config: Config) -> None:
    with parts.open_sink(hil_config) as sink:
        sink.write(chime_frames(sink.sample_rate, hil_config.audio.max_level_dbfs))
    assert sink.underruns == 0
    assert operator.confirm("did you hear three rising notes?")


def test_hw_check_passes(hil_config: Config) -> None:
    results = run_checks(hil_config, clock=CLOCK)
    assert not [r for r in results if r.status == FAIL], format_table(results)
