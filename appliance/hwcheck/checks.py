"""`attune hw check`, run over the parts as the wiring root opens them: the same registry of
drivers and emulators the service uses, so a check tests what a session will talk to."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from appliance import parts
from appliance.clock import Clock
from appliance.config import Config
from appliance.hwcheck.audio_cards import read_and_check
from appliance.hwcheck.gsr_setup import DEFAULT_RESISTORS_KOHM, run_setup
from appliance.hwcheck.probes import (
    BLE_SCAN_S,
    FAIL,
    I2C_REMEDY,
    OK,
    SKIP,
    CheckResult,
    ScanFunction,
    check_audio,
    check_button,
    check_gsr,
    check_led,
    check_ppg,
    check_wearables,
    scan_for_addresses,
)

TONE_FILE = "hw-check-tone.wav"  # in device.state_dir, when audio.output is wav


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
    system_root: Path = Path("/"),
) -> list[CheckResult]:
    """Every check the config asks for. `bus` and `pin_factory`, when given, are used as they
    are (and not closed); otherwise they are opened from the config and closed afterwards."""
    hw = config.hardware
    results: list[CheckResult] = []
    if "i2c" not in skip:
        results += _i2c_checks(config, clock, bus)
    if "audio" not in skip:
        if config.audio.output == "pyaudio" and tone_file is None:  # the sound card's files
            results.append(read_and_check(config.audio.device, config.audio.hat, system_root))
        max_level = config.audio.max_level_dbfs
        tone = tone_file or _tone_file(config)
        results.append(check_audio(lambda: parts.open_sink(config, tone), max_level_dbfs=max_level))
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
    hw = config.hardware
    ppg, gsr = hw.ppg, hw.gsr
    own_bus = bus is None
    if own_bus:
        listener = None
        if hw.emulated:
            from appliance.simulate.listener import demo_listener

            listener = demo_listener()
        try:
            bus = parts.open_bus(config, clock, listener)
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
                check_ppg(
                    parts.ppg_part(config).open(bus, config, clock),
                    address=ppg.address,
                    bus_number=hw.i2c_bus,
                )
            )
        else:
            results.append(CheckResult("MAX30102 PPG", SKIP, "hardware.ppg.enabled is false"))
        if gsr.enabled:
            results.append(
                check_gsr(
                    parts.gsr_part(config).open(bus, config, clock),
                    bus_number=hw.i2c_bus,
                    supply_v=gsr.supply_v,
                    k_ohm=gsr.grove_k_ohm,
                    clock=clock,
                    supply_channel=parts.supply_channel(config),
                )
            )
        else:
            results.append(CheckResult("ADS1115 + GSR", SKIP, "hardware.gsr.enabled is false"))
    finally:
        if own_bus:
            bus.close()
    return results


def _gpio_checks(config: Config, clock: Clock, factory: Any) -> list[CheckResult]:
    gpio = config.hardware.gpio
    own_factory = factory is None
    if own_factory:
        try:
            factory = parts.open_pin_factory(config)
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


def _tone_file(config: Config) -> Path | None:
    """Where the tone goes when the audio output is a WAV file (None: the sound card)."""
    if config.audio.output != "wav":
        return None
    return Path(config.device.state_dir) / TONE_FILE


def calibrate_gsr(
    config: Config,
    *,
    clock: Clock,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    resistors_kohm: Sequence[float] = DEFAULT_RESISTORS_KOHM,
    bus: Any = None,
) -> int:
    """`attune hw calibrate gsr` on the configured ADC (see gsr_setup); 0 when ready."""
    gsr = config.hardware.gsr
    own_bus = bus is None
    if own_bus:
        listener = None
        if config.hardware.emulated:
            from appliance.simulate.listener import demo_listener

            listener = demo_listener()
        bus = parts.open_bus(config, clock, listener)
    try:
        with parts.gsr_part(config).open(bus, config, clock) as adc:
            return run_setup(
                adc,
                clock,
                nominal_supply_v=gsr.supply_v,
                supply_channel=parts.supply_channel(config),
                configured_k=gsr.grove_k_ohm,
                ask=ask,
                say=say,
                resistors_kohm=resistors_kohm,
            )
    finally:
        if own_bus:
            bus.close()
