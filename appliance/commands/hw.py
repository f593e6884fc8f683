"""attune hw check: probe the sensors, play a tone, blink the LED, look for the wearables."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from appliance.clock import Clock, MonotonicClock
from appliance.commands import config_from
from appliance.config import Config
from appliance.hwcheck import (
    BLE_SCAN_S,
    FAIL,
    I2C_REMEDY,
    OK,
    SKIP,
    CheckResult,
    ScanFunction,
    all_passed,
    check_audio,
    check_button,
    check_gsr,
    check_led,
    check_ppg,
    check_wearables,
    format_table,
    scan_for_addresses,
)
from drivers.audio import AudioSink, PyAudioSink, WavSink

NAME = "hw"
HELP = "check the hardware: I2C sensors, audio, LED and button, BLE wearables"
PARTS = ("i2c", "audio", "gpio", "ble")
TONE_FILE = "hw-check-tone.wav"  # in device.state_dir, when audio.output is wav
SERVICE_BUSY = (
    "attune hw check: attune.service is running and holds the audio device and GPIO pins; "
    "stop it first (sudo systemctl stop attune) or some checks will fail"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ck = sub.add_parser("check", help="probe every part and print OK / FAIL with what to do")
    ck.add_argument(
        "--skip", action="append", choices=PARTS, default=[], help="leave a part out (repeatable)"
    )
    ck.add_argument(
        "--ble-timeout", type=float, default=BLE_SCAN_S, help="seconds to scan for wearables"
    )
    ck.add_argument("--tone-file", type=Path, help="write the test tone to this WAV file")


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if not config.hardware.emulated and _service_running():
        print(SERVICE_BUSY, file=sys.stderr)
    results = run_checks(
        config,
        clock=MonotonicClock(),
        skip=set(args.skip),
        ble_timeout_s=args.ble_timeout,
        tone_file=args.tone_file,
    )
    print(format_table(results))
    return 0 if all_passed(results) else 1


def run_checks(
    config: Config,
    *,
    clock: Clock,
    skip: Collection[str] = (),
    bus: Any = None,
    pin_factory: Any = None,
    scan: ScanFunction = scan_for_addresses,
    ble_timeout_s: float = BLE_SCAN_S,
    tone_file: Path | None = None,
) -> list[CheckResult]:
    """Every check the config asks for. `bus` and `pin_factory`, when given, are used as they
    are (and not closed); otherwise they are opened from the config and closed afterwards."""
    hw = config.hardware
    results: list[CheckResult] = []
    if "i2c" not in skip:
        results += _i2c_checks(config, clock, bus)
    if "audio" not in skip:
        max_level = config.audio.max_level_dbfs
        results.append(check_audio(lambda: _open_sink(config, tone_file), max_level_dbfs=max_level))
    if "gpio" not in skip:
        results += _gpio_checks(config, clock, pin_factory)
    if "ble" not in skip:
        if hw.ble_hr.enabled:
            addresses = list(hw.ble_hr.addresses)
            adapter = hw.ble_hr.adapter
            results += check_wearables(
                addresses, adapter=adapter, scan=scan, timeout_s=ble_timeout_s
            )
        else:
            results.append(CheckResult("BLE wearables", SKIP, "hardware.ble_hr.enabled is false"))
    return results


def _i2c_checks(config: Config, clock: Clock, bus: Any) -> list[CheckResult]:
    from appliance.app import open_bus

    hw = config.hardware
    ppg, gsr = hw.ppg, hw.gsr
    own_bus = bus is None
    if own_bus:
        listener = None
        if hw.emulated:
            from appliance.simulate.listener import demo_listener

            listener = demo_listener()
        try:
            bus = open_bus(config, clock, listener)
        except OSError as exc:
            row = CheckResult(f"I2C bus {hw.i2c_bus}", FAIL, str(exc), I2C_REMEDY)
            return [row] + [
                CheckResult(n, SKIP, "no I2C bus") for n in ("MAX30102 PPG", "ADS1115 + GSR")
            ]
    where = "emulated" if hw.emulated else f"/dev/i2c-{hw.i2c_bus} open"
    results = [CheckResult(f"I2C bus {hw.i2c_bus}", OK, where)]
    try:
        if ppg.enabled:
            results.append(
                check_ppg(bus, address=ppg.address, bus_number=hw.i2c_bus, now=clock.now)
            )
        else:
            results.append(CheckResult("MAX30102 PPG", SKIP, "hardware.ppg.enabled is false"))
        if gsr.enabled:
            results.append(
                check_gsr(
                    bus,
                    address=gsr.address,
                    bus_number=hw.i2c_bus,
                    channel=gsr.channel,
                    full_scale_v=gsr.full_scale_v,
                    data_rate=gsr.data_rate,
                    supply_v=gsr.supply_v,
                    k_ohm=gsr.grove_k_ohm,
                    clock=clock,
                )
            )
        else:
            results.append(CheckResult("ADS1115 + GSR", SKIP, "hardware.gsr.enabled is false"))
    finally:
        if own_bus:
            bus.close()
    return results


def _gpio_checks(config: Config, clock: Clock, factory: Any) -> list[CheckResult]:
    from drivers.gpio import make_pin_factory

    gpio = config.hardware.gpio
    own_factory = factory is None
    if own_factory:
        try:
            factory = make_pin_factory(gpio.pin_factory)
        except Exception as exc:  # GpioUnavailable says what to install or set
            detail = f"{type(exc).__name__}: {exc}"
            return [
                CheckResult(f"LED (GPIO{gpio.led_pin})", FAIL, detail, ""),
                CheckResult(f"Button (GPIO{gpio.button_pin})", FAIL, detail, ""),
            ]
    try:
        return [
            check_led(factory, pin=gpio.led_pin, clock=clock),
            check_button(factory, pin=gpio.button_pin),
        ]
    finally:
        if own_factory:
            factory.close()


def _open_sink(config: Config, tone_file: Path | None) -> AudioSink:
    audio = config.audio
    if audio.output == "wav" or tone_file is not None:
        path = tone_file or Path(config.device.state_dir) / TONE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        return WavSink(path, sample_rate=audio.sample_rate)
    device = None if audio.device == "default" else audio.device
    return PyAudioSink(device=device, sample_rate=audio.sample_rate, buffer_s=audio.buffer_s)


def _service_running() -> bool:
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return False
    done = subprocess.run(
        [systemctl, "is-active", "--quiet", "attune.service"], capture_output=True, check=False
    )
    return done.returncode == 0
