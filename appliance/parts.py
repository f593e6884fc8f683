"""The composition root's hardware: every part built from the config, by its configured type.

Each I2C part is looked up in a closed registry keyed by `hardware.<part>.type`, where the real
driver and the register-level emulator that stands in for it sit side by side: with
`hardware.emulated: true` the same driver code talks to the emulator on an emulated bus. The
service, the demo, `attune hw check` and the hardware-in-the-loop suite all open their parts
here, so there is one place where a config turns into hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from appliance.clock import Clock
from appliance.config import Config
from appliance.session.sensors import Sensors
from drivers.ads1115 import Ads1115
from drivers.audio import AudioSink, PyAudioSink, WavSink
from drivers.grove_gsr import GroveGsrSource
from drivers.max30102 import Max30102
from drivers.sources import GsrSource, PpgSource, SensorNotFound

if TYPE_CHECKING:
    import gpiozero

    from appliance.simulate.listener import VirtualListener
    from drivers.ble_hr import BleHeartRateSource

log = logging.getLogger(__name__)

I2C_REMEDY = "enable I2C with 'sudo raspi-config nonint do_i2c 0'"


@dataclass(frozen=True)
class I2cPart:
    """One kind of I2C sensor: how to open its driver on a bus, and its emulator."""

    label: str  # as a technician reads it in `attune hw check`
    open: Callable[[Any, Config, Clock], Any]  # (bus, config, clock) -> the unopened driver
    emulator: Callable[[Config, Clock, Any], Any]  # (config, clock, listener) -> I2C device


def _max30102(bus: Any, config: Config, clock: Clock) -> Max30102:
    hw = config.hardware
    ppg = hw.ppg
    return Max30102(
        bus,
        now=clock.now,
        address=ppg.address,
        bus_number=hw.i2c_bus,
        sample_rate=ppg.sample_rate,
        pulse_width_us=ppg.pulse_width_us,
        adc_range_na=ppg.adc_range_na,
        led_current_ma=ppg.led_current_ma,
        swap_red_ir=ppg.swap_red_ir,
    )


def _max30102_emulator(config: Config, clock: Clock, listener: Any) -> Any:
    from drivers.emulated.max30102 import Max30102Emulator

    return Max30102Emulator(clock.now, listener)


def _ads1115(bus: Any, config: Config, clock: Clock) -> Ads1115:
    hw = config.hardware
    gsr = hw.gsr
    return Ads1115(
        bus,
        address=gsr.address,
        bus_number=hw.i2c_bus,
        channel=gsr.channel,
        full_scale_v=gsr.full_scale_v,
        data_rate=gsr.data_rate,
    )


def _ads1115_emulator(config: Config, clock: Clock, listener: Any) -> Any:
    from drivers.emulated.ads1115 import Ads1115Emulator

    gsr = config.hardware.gsr
    return Ads1115Emulator(
        clock.now,
        listener,
        supply_v=gsr.supply_v,
        k_ohm=gsr.grove_k_ohm,
        gsr_channel=gsr.channel,
        supply_channel=supply_channel(config),
    )


def supply_channel(config: Config) -> int | None:
    """The ADS1115 input the GSR's Vcc is measured on, or None."""
    channel = config.hardware.gsr.supply_channel
    return None if channel == "none" else channel


PPG_PARTS: Mapping[str, I2cPart] = MappingProxyType(
    {"max30102": I2cPart("MAX30102 PPG", _max30102, _max30102_emulator)}
)
GSR_PARTS: Mapping[str, I2cPart] = MappingProxyType(
    {"ads1115": I2cPart("ADS1115 + GSR", _ads1115, _ads1115_emulator)}
)


def ppg_part(config: Config) -> I2cPart:
    return PPG_PARTS[config.hardware.ppg.type]


def gsr_part(config: Config) -> I2cPart:
    return GSR_PARTS[config.hardware.gsr.type]


def open_bus(config: Config, clock: Clock, listener: VirtualListener | None = None) -> Any:
    """The I2C bus: smbus2 on a device; in emulated mode an emulated bus carrying each enabled
    part's emulator at its configured address, fed by `listener` (nothing answers without one)."""
    hw = config.hardware
    if hw.emulated:
        from drivers.emulated.smbus import EmulatedSMBus

        bus = EmulatedSMBus(hw.i2c_bus, now=clock.now)
        if listener is not None:
            if hw.ppg.enabled:
                bus.attach(hw.ppg.address, ppg_part(config).emulator(config, clock, listener))
            if hw.gsr.enabled:
                bus.attach(hw.gsr.address, gsr_part(config).emulator(config, clock, listener))
        return bus
    import smbus2

    return smbus2.SMBus(hw.i2c_bus)


def open_ppg(bus: Any, config: Config, clock: Clock) -> PpgSource:
    """The PPG driver, opened (raises SensorNotFound when the part does not answer)."""
    driver = ppg_part(config).open(bus, config, clock)
    driver.open()
    return driver


@dataclass
class SupplyMemo:
    """The Grove's Vcc reading, kept between openings. Measuring it takes two single-shot
    conversions at 16 samples/s, which at a session's opening held the music back 70 ms after
    the press (`python -m bench service`); the supply does not move between sessions, and the
    idle probe after every session (and at start-up) measures it afresh."""

    volts: float | None = None


def open_gsr(
    bus: Any, config: Config, clock: Clock, memo: SupplyMemo | None = None, measure: bool = True
) -> GsrSource:
    """The GSR source over its ADC, opened (raises SensorNotFound likewise). With `memo`, the
    supply reading is kept there, and reused instead of measured unless `measure`."""
    gsr = config.hardware.gsr
    adc = gsr_part(config).open(bus, config, clock)
    adc.open()
    source = GroveGsrSource(
        adc,
        now=clock.now,
        supply_v=gsr.supply_v,
        k_ohm=gsr.grove_k_ohm,
        poll_hz=gsr.poll_hz,
        supply_channel=supply_channel(config),
        sleep=clock.sleep,
        supply_reading_v=None if measure or memo is None else memo.volts,
    )
    if memo is not None:
        memo.volts = source.supply_reading_v
    return source


def open_sensors(
    config: Config,
    clock: Clock,
    listener: VirtualListener | None,
    supply: SupplyMemo | None = None,
    *,
    measure_supply: bool = True,
) -> Sensors:
    """A session's I2C sensors; each absent one is named in `problems`, never raised. The GSR's
    supply is measured if `measure_supply` or not yet in `supply` (SupplyMemo)."""
    hw = config.hardware
    sensors = Sensors()
    wanted = [n for n in ("ppg", "gsr") if getattr(hw, n).enabled]
    if not wanted:
        return sensors
    try:
        bus = open_bus(config, clock, listener)
    except OSError as exc:
        for name in wanted:
            sensors.problems[name] = f"I2C bus {hw.i2c_bus} cannot be opened ({exc}); {I2C_REMEDY}"
        return sensors
    sensors.i2c = bus
    measure = measure_supply or supply is None or supply.volts is None
    gsr_opener = partial(open_gsr, memo=supply, measure=measure)
    for name, opener in (("ppg", open_ppg), ("gsr", gsr_opener)):
        if name in wanted:
            # Lost mid-session (a clip pulled off) or absent at the start (plugged in late),
            # it is opened again the same way.
            sensors.reopen[name] = partial(opener, bus, config, clock)
            try:
                setattr(sensors, name, opener(bus, config, clock))
            except SensorNotFound as exc:
                sensors.absent(name, str(exc))
    for name, problem in sensors.problems.items():
        log.warning("%s unavailable: %s", name, problem)
    return sensors


def await_strap(sensors: Sensors, wearable: BleHeartRateSource, address: str) -> None:
    """The session takes the running `wearable`'s beats once it is connected to `address`
    (the listener's strap), looked for like any absent sensor; never another strap's."""
    sensors.hr_owned = False
    sensors.reopen["ble_hr"] = partial(_strap_when_connected, wearable, address)
    # No address in the problem: it may be recorded for a listener without consent.
    sensors.absent("ble_hr", "the listener's heart-rate strap is not connected")


def _strap_when_connected(wearable: BleHeartRateSource, address: str) -> BleHeartRateSource:
    if wearable.connected_address != address:
        raise OSError("the listener's heart-rate strap is still not connected")
    wearable.read()  # what arrived before it was ours to take (another strap's) is dropped
    return wearable


def open_wearable(config: Config, clock: Clock) -> BleHeartRateSource | None:
    """Start the BLE heart-rate source for the configured straps (it reconnects by itself)."""
    ble = config.hardware.ble_hr
    if not ble.enabled:
        return None
    from drivers.ble_hr import BleHeartRateSource

    source = BleHeartRateSource(ble.addresses, now=clock.now, adapter=ble.adapter)
    source.start_in_thread()
    return source


def open_sink(config: Config, wav_path: Path | None = None) -> AudioSink:
    """The audio output: `audio.output` (or a WAV file at `wav_path` whatever it says)."""
    audio = config.audio
    if audio.output == "wav" or wav_path is not None:
        path = wav_path or Path(config.device.state_dir) / "session.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        return WavSink(path, sample_rate=audio.sample_rate)
    device = None if audio.device == "default" else audio.device
    return PyAudioSink(device=device, sample_rate=audio.sample_rate, buffer_s=audio.buffer_s)


def open_pin_factory(config: Config, clock: Clock | None = None) -> gpiozero.Factory:
    """gpiozero's pin factory named by `hardware.gpio.pin_factory` (mock: on `clock`'s time)."""
    from drivers.gpio import make_pin_factory

    return make_pin_factory(
        config.hardware.gpio.pin_factory, clock=clock.now if clock is not None else None
    )
