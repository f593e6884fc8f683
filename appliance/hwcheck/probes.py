"""`attune hw check`: one probe per part, each an OK / FAIL / SKIP row with what to do.

Every probe takes its hardware already opened (an SMBus-like bus, an audio sink, a gpiozero pin
factory, a BLE scan function), so the same code runs on the Pi and against the emulators. A probe
never raises for a hardware fault: the fault becomes a FAIL row that says how to fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.clock import Clock
from appliance.hwcheck.gsr_setup import TRIMMER_TOLERANCE, judge_trimmer, measure_supply
from drivers.ads1115 import Ads1115
from drivers.audio import AudioSink
from drivers.gpio import make_button, make_led
from drivers.grove_gsr import ELECTRODES_OFF_RATIO, microsiemens_from_volts
from drivers.max30102 import Max30102
from drivers.sources import SensorNotFound

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"

TONE_NOTES_HZ = (523.25, 659.25, 783.99)  # C5, E5, G5: a chime nobody mistakes for noise
TONE_NOTE_S = 0.4
TONE_FADE_S = 0.02  # no clicks at the note edges
TONE_BELOW_CAP_DB = 6.0  # the tone plays this far under audio.max_level_dbfs
LED_BLINKS = 3
LED_BLINK_S = 0.3  # on, then off, each
ADC_SETTLE_CONVERSIONS = 2  # wait this many conversion periods before the first read
BLE_SCAN_S = 10.0

I2C_REMEDY = (
    "enable I2C (sudo raspi-config nonint do_i2c 0, then reboot) and make sure the user is in "
    "group i2c; `ls /dev/i2c-*` must list the bus"
)
PPG_REMEDY = (
    "check the MAX30102 wiring: VIN to 3.3 V (pin 1), GND (pin 6), SDA to GPIO2 (pin 3), SCL to "
    "GPIO3 (pin 5); `i2cdetect -y {bus}` must show {address:02x}; set hardware.ppg.enabled: "
    "false if no finger sensor is fitted"
)
GSR_REMEDY = (
    "check the ADS1115 wiring: VDD to 3.3 V, GND, SDA to GPIO2, SCL to GPIO3, ADDR to GND for "
    "0x48; Grove GSR SIG to AIN{channel}; `i2cdetect -y {bus}` must show {address:02x}; set "
    "hardware.gsr.enabled: false if no GSR is fitted"
)
GSR_TRIMMER_REMEDY = "run `attune hw calibrate gsr` with the electrodes off to set the trimmer"
AUDIO_REMEDY = (
    "the Audio device row says which card to route ALSA's default to (/etc/asound.conf; keep "
    "audio.device: default, never hw: for HDMI); make sure the user is in group audio and the "
    "speaker is on; stop the service first (sudo systemctl stop attune): it holds the device"
)
GPIO_REMEDY = (
    "set hardware.gpio.pin_factory (lgpio on a Pi 5), make sure the user is in group gpio; "
    "stop the service first (sudo systemctl stop attune): it holds the pins"
)
LED_NOTE = "blinked {n} times on GPIO{pin}: if you did not see it, check the LED's polarity "
LED_NOTE += "(long leg to GPIO{pin} through 330 Ω, short leg to GND)"
BUTTON_STUCK = (
    "the button on GPIO{pin} reads pressed while nobody presses it: it must switch GPIO{pin} to "
    "GND (not 3.3 V), and nothing else may pull the pin low"
)
BLE_MISSING = (
    "wake the strap (wet the electrodes, put it on), keep it within a few metres, and check its "
    "address with `bluetoothctl scan on`; it must be in hardware.ble_hr.addresses"
)
BLE_REMEDY = (
    "check that BlueZ runs (systemctl status bluetooth), the adapter is up (rfkill unblock "
    "bluetooth; bluetoothctl show) and the user is in group bluetooth"
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # OK, FAIL or SKIP
    detail: str
    remedy: str = ""  # what to do, for a FAIL


def check_ppg(sensor: Max30102, *, address: int, bus_number: int) -> CheckResult:
    """Does the PPG answer with its part id? `sensor` is the driver, unopened."""
    name = f"MAX30102 PPG (0x{address:02X})"
    try:
        ids = sensor.probe()
    except (SensorNotFound, OSError) as exc:
        return CheckResult(name, FAIL, str(exc), PPG_REMEDY.format(bus=bus_number, address=address))
    return CheckResult(name, OK, f"PART_ID 0x{ids['part_id']:02X}, REV_ID 0x{ids['revision']:02X}")


def check_gsr(
    adc: Ads1115,
    *,
    bus_number: int,
    supply_v: float,
    k_ohm: float,
    clock: Clock,
    supply_channel: int | None = None,
) -> CheckResult:
    """One conversion of the GSR's channel, read as skin conductance. `adc` is unopened."""
    address, channel = adc.address, adc.channel
    name = f"ADS1115 + GSR (0x{address:02X})"
    remedy = GSR_REMEDY.format(bus=bus_number, address=address, channel=channel)
    try:
        with adc:
            supply_v, supply_note = measure_supply(adc, clock, supply_v, supply_channel)
            clock.sleep(ADC_SETTLE_CONVERSIONS / adc.data_rate)
            volts = adc.read_volts()
    except (SensorNotFound, OSError) as exc:
        return CheckResult(name, FAIL, str(exc), remedy)
    if supply_note.startswith("AIN"):  # a supply input that does not read the supply
        return CheckResult(name, FAIL, supply_note, remedy)
    x = volts / supply_v
    if x > 0.5 + TRIMMER_TOLERANCE:  # skin only ever pulls the output below half the supply
        return CheckResult(name, FAIL, judge_trimmer(x, supply_v).message, GSR_TRIMMER_REMEDY)
    us = microsiemens_from_volts(volts, supply_v, k_ohm)
    if math.isnan(us):
        if x >= ELECTRODES_OFF_RATIO:
            detail = f"AIN{channel} {volts:.3f} V: electrodes not on skin; {supply_note}"
            return CheckResult(name, OK, detail)
        return CheckResult(name, FAIL, f"AIN{channel} {volts:.3f} V is not a GSR output", remedy)
    return CheckResult(name, OK, f"AIN{channel} {volts:.3f} V = {us:.2f} µS; {supply_note}")


def chime_frames(sample_rate: int, max_level_dbfs: float) -> np.ndarray:
    """A short rising chime, float32 stereo, peaking TONE_BELOW_CAP_DB under the level cap."""
    amplitude = 10.0 ** ((max_level_dbfs - TONE_BELOW_CAP_DB) / 20.0)
    n = round(TONE_NOTE_S * sample_rate)
    t = np.arange(n) / sample_rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / TONE_FADE_S)
    notes = [np.sin(2 * np.pi * f * t) * fade for f in TONE_NOTES_HZ]
    mono = (amplitude * np.concatenate(notes)).astype(np.float32)
    return np.column_stack([mono, mono])


def check_audio(open_sink: Callable[[], AudioSink], *, max_level_dbfs: float) -> CheckResult:
    name = "Audio test tone"
    try:
        sink = open_sink()
        try:
            sink.write(chime_frames(sink.sample_rate, max_level_dbfs))
        finally:
            sink.close()
    except Exception as exc:  # PortAudio raises OSError, AudioDeviceMissing, ImportError…
        return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}", AUDIO_REMEDY)
    where = getattr(sink, "path", None)
    detail = f"chime written to {where}" if where else "chime played: did you hear it?"
    return CheckResult(name, OK, detail)


def check_led(factory: Any, *, pin: int, clock: Clock) -> CheckResult:
    name = f"LED (GPIO{pin})"
    try:
        led = make_led(pin, factory)
    except Exception as exc:  # GpioUnavailable, ValueError, the backend's own errors
        return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}", GPIO_REMEDY)
    try:
        for _ in range(LED_BLINKS):
            led.value = 1.0
            clock.sleep(LED_BLINK_S)
            led.value = 0.0
            clock.sleep(LED_BLINK_S)
    finally:
        led.close()
    return CheckResult(name, OK, LED_NOTE.format(n=LED_BLINKS, pin=pin))


def check_button(factory: Any, *, pin: int) -> CheckResult:
    name = f"Button (GPIO{pin})"
    try:
        button = make_button(pin, factory)
    except Exception as exc:
        return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}", GPIO_REMEDY)
    try:
        pressed = button.is_pressed
    finally:
        button.close()
    if pressed:
        return CheckResult(name, FAIL, "reads pressed", BUTTON_STUCK.format(pin=pin))
    return CheckResult(name, OK, "released (pull-up holds it high)")


ScanFunction = Callable[[Sequence[str], str, float], Awaitable[dict[str, str]]]


async def scan_for_addresses(addresses: Sequence[str], adapter: str, timeout_s: float) -> dict:
    """{address: name} of the configured devices seen advertising; never connects to any."""
    from bleak import BleakScanner

    wanted = {a.upper() for a in addresses}
    seen: dict[str, str] = {}
    all_seen = asyncio.Event()

    def on_advertisement(device: Any, _advertisement: Any) -> None:
        address = device.address.upper()
        if address in wanted and address not in seen:
            seen[address] = device.name or "unnamed"
            if len(seen) == len(wanted):
                all_seen.set()

    async with BleakScanner(on_advertisement, bluez={"adapter": adapter}):
        with contextlib.suppress(TimeoutError):  # the rows say who was not seen
            await asyncio.wait_for(all_seen.wait(), timeout_s)
    return seen


def check_wearables(
    addresses: Sequence[str],
    *,
    adapter: str,
    scan: ScanFunction = scan_for_addresses,
    timeout_s: float = BLE_SCAN_S,
) -> list[CheckResult]:
    if not addresses:
        return [CheckResult("BLE wearables", SKIP, "no addresses in hardware.ble_hr.addresses")]
    try:
        seen = asyncio.run(scan(addresses, adapter, timeout_s))
    except Exception as exc:  # no adapter, BlueZ down, no D-Bus
        detail = f"scan on {adapter} failed: {type(exc).__name__}: {exc}"
        return [CheckResult("BLE wearables", FAIL, detail, BLE_REMEDY)]
    results = []
    for address in addresses:
        name = f"BLE strap {address.upper()}"
        if address.upper() in seen:
            results.append(CheckResult(name, OK, f"advertising as {seen[address.upper()]!r}"))
        else:
            detail = f"not seen on {adapter} within {timeout_s:g} s"
            results.append(CheckResult(name, FAIL, detail, BLE_MISSING))
    return results


def format_table(results: Iterable[CheckResult]) -> str:
    """The check table: one row per check, the remedy indented under each FAIL."""
    rows = list(results)
    width = max([len(r.name) for r in rows] + [len("Check")])
    lines = [f"{'Check':<{width}}  {'Result':<6}  Detail", f"{'-' * width}  ------  ------"]
    for r in rows:
        lines.append(f"{r.name:<{width}}  {r.status:<6}  {r.detail}")
        if r.status == FAIL and r.remedy:
            lines.append(f"{'':<{width}}  {'':<6}  → {r.remedy}")
    return "\n".join(lines)


def all_passed(results: Iterable[CheckResult]) -> bool:
    return all(r.status != FAIL for r in results)
