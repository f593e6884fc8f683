"""Would a wrong driver pass? Red against IR, both channels alive and unsaturated, the LED
registers, a full FIFO on both read paths, the GSR's trimmer then K, the strap's RR against its
own heart rate and a forced reconnect. The same checks run on the emulators in the ordinary
suite (tests/appliance/hwcheck/), where boards and drivers built wrong make them fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from appliance import parts
from appliance.clock import MonotonicClock
from appliance.config import Config
from appliance.hwcheck.gsr_setup import (
    DEFAULT_RESISTORS_KOHM,
    average_ratio,
    judge_resistors,
    judge_trimmer,
    measure_supply,
)
from appliance.hwcheck.sensor_checks import (
    check_fifo_stall,
    check_led_registers,
    judge_ppg_channels,
    judge_strap,
    poll_ppg,
)
from drivers.max30102 import Max30102

CLOCK = MonotonicClock()
FINGER_S = 8.0
STRAP_S = 60.0
RECONNECT_WAIT_S = 90.0


def gsr_resistors_kohm() -> list[float]:
    text = os.environ.get("ATTUNE_HIL_GSR_KOHM", "")
    values = [float(v) for v in text.split(",") if v.strip()]
    return values or list(DEFAULT_RESISTORS_KOHM)


@pytest.fixture
def ppg(hil_config: Config) -> Iterator[Max30102]:
    with parts.open_bus(hil_config, CLOCK) as bus:
        sensor = parts.ppg_part(hil_config).open(bus, hil_config, CLOCK)
        with sensor:
            yield sensor


@pytest.fixture(scope="module")
def finger_on(operator) -> None:
    operator.wait_for_enter("rest a fingertip lightly on the MAX30102 window and keep it still")


def test_red_and_ir_are_alive_unsaturated_and_not_swapped(finger_on, ppg: Max30102) -> None:
    verdict = judge_ppg_channels(
        poll_ppg(ppg, CLOCK, FINGER_S), ppg.sample_rate, swap_red_ir=ppg.swap_red_ir
    )
    assert verdict.ok, verdict.message


def test_each_led_darkens_only_its_own_channel(
    finger_on, ppg: Max30102, hil_config: Config
) -> None:
    verdict = check_led_registers(ppg, CLOCK, hil_config.hardware.ppg.led_current_ma)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize("burst", [False, True], ids=["smbus-blocks", "i2c_rdwr-burst"])
def test_a_stalled_poll_fills_the_fifo_and_nothing_goes_wrong(
    finger_on, ppg: Max30102, hil_config: Config, burst: bool
) -> None:
    ppg.burst_read = burst
    verdict = check_fifo_stall(ppg, CLOCK, hil_config.hardware.ppg.led_current_ma)
    assert verdict.ok, verdict.message


def test_gsr_trimmer_first_then_three_resistors(operator, hil_config: Config) -> None:
    gsr = hil_config.hardware.gsr
    with parts.open_bus(hil_config, CLOCK) as bus:
        adc = parts.gsr_part(hil_config).open(bus, hil_config, CLOCK)
        with adc:
            supply_v, note = measure_supply(
                adc, CLOCK, gsr.supply_v, parts.supply_channel(hil_config)
            )
            assert not note.startswith("AIN"), note
            operator.wait_for_enter("take everything off the GSR electrodes")
            trimmer = judge_trimmer(average_ratio(adc, CLOCK, supply_v), supply_v)
            assert trimmer.ok, trimmer.message
            readings = []
            for r_kohm in gsr_resistors_kohm():
                operator.wait_for_enter(f"clip a {r_kohm:g} kΩ resistor across the electrodes")
                readings.append((r_kohm, average_ratio(adc, CLOCK, supply_v)))
    verdict = judge_resistors(readings, gsr.grove_k_ohm)
    assert verdict.ok, verdict.message


def _collect(source, seconds: float) -> list:
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples.extend(source.read())
        time.sleep(0.2)
    return samples


def test_strap_rr_agrees_with_its_heart_rate_and_it_comes_back_after_a_drop(
    operator, hil_config: Config
) -> None:
    ble = hil_config.hardware.ble_hr
    if not ble.enabled or not ble.addresses:
        pytest.skip("no strap configured (hardware.ble_hr)")
    bluetoothctl = shutil.which("bluetoothctl")
    assert bluetoothctl, "bluetoothctl not found: sudo apt-get install bluez"
    operator.say(f"wear the strap (wet electrodes); collecting {STRAP_S:g} s")
    source = parts.open_wearable(hil_config, CLOCK)
    assert source is not None
    try:
        samples = _collect(source, STRAP_S)
        assert samples, (
            f"no heart rate from {list(ble.addresses)} within {STRAP_S:g} s: wake the strap, "
            "check its address (bluetoothctl scan on); attune logs shows the connection attempts"
        )
        verdict = judge_strap(samples)
        assert verdict.ok, verdict.message
        address, before = source.connected_address, source.reconnects
        assert address, "the strap's data came, yet no connection is recorded"
        subprocess.run([bluetoothctl, "disconnect", address], check=False, capture_output=True)
        end = time.monotonic() + RECONNECT_WAIT_S
        again: list = []
        while time.monotonic() < end and not (source.reconnects > before and again):
            again.extend(source.read())
            time.sleep(0.5)
        assert source.reconnects > before and again, (
            f"no data within {RECONNECT_WAIT_S:g} s after a forced drop-out (last error: "
            f"{source.last_error}): the reconnect loop is stuck; attune logs -f shows where"
        )
    finally:
        source.close()
