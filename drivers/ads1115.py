"""ADS1115 16-bit ADC over I2C (smbus2), single-ended input, continuous conversions.

Registers are 16-bit big-endian; SMBus words are little-endian, so every word is byte-swapped
on the way in and out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from drivers.sources import SensorNotFound

log = logging.getLogger(__name__)

REG_CONVERSION = 0x00
REG_CONFIG = 0x01

CONFIG_OS = 1 << 15  # write: start a single-shot conversion; read: 1 = idle
CONFIG_MODE_SINGLE_SHOT = 1 << 8  # 0: continuous conversions
CONFIG_COMP_DISABLED = 0b11  # COMP_QUE: comparator off, ALERT/RDY high-impedance
MUX_SINGLE_ENDED = 0b100  # MUX[14:12] = 1xx: AINx against GND

FULL_SCALE_CODES = {  # ± volts → PGA[11:9]
    6.144: 0b000,
    4.096: 0b001,
    2.048: 0b010,
    1.024: 0b011,
    0.512: 0b100,
    0.256: 0b101,
}
DATA_RATE_CODES = {8: 0, 16: 1, 32: 2, 64: 3, 128: 4, 250: 5, 475: 6, 860: 7}  # samples/s
CHANNELS = (0, 1, 2, 3)
COUNTS_PER_FULL_SCALE = 32768
ADDRESSES = (0x48, 0x49, 0x4A, 0x4B)  # ADDR pin tied to GND, VDD, SDA, SCL
SUPPLY_RANGE_V = (2.0, 5.5)  # VDD
CONVERSION_MARGIN = 1.1  # the oscillator is within 10 %: wait this many periods first
CONVERSION_POLLS = 10


def swap_bytes(word: int) -> int:
    """Big-endian register word ↔ SMBus little-endian word."""
    return ((word & 0xFF) << 8) | (word >> 8)


def config_word(channel: int, full_scale_v: float, data_rate: int, *, continuous: bool) -> int:
    """The config register for AINx–GND; single-shot sets OS to start a conversion."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {list(CHANNELS)} (AINx to GND): {channel}")
    pga = FULL_SCALE_CODES.get(full_scale_v)
    if pga is None:
        allowed = ", ".join(f"{v}" for v in FULL_SCALE_CODES)
        raise ValueError(f"full_scale_v must be one of {allowed} V (PGA): {full_scale_v}")
    dr = DATA_RATE_CODES.get(data_rate)
    if dr is None:
        allowed = ", ".join(str(v) for v in DATA_RATE_CODES)
        raise ValueError(f"data_rate must be one of {allowed} samples/s: {data_rate}")
    word = ((MUX_SINGLE_ENDED | channel) << 12) | (pga << 9) | (dr << 5) | CONFIG_COMP_DISABLED
    if continuous:
        return word
    return word | CONFIG_OS | CONFIG_MODE_SINGLE_SHOT


def volts_from_conversion(word: int, full_scale_v: float) -> float:
    """Conversion register (big-endian order already restored) to volts: signed 16-bit."""
    signed = word - 0x10000 if word & 0x8000 else word
    return signed * full_scale_v / COUNTS_PER_FULL_SCALE


class Ads1115:
    """One ADS1115 reading one input continuously; `bus` is any smbus2.SMBus-like object."""

    def __init__(
        self,
        bus: Any,
        *,
        address: int = 0x48,
        bus_number: int = 1,
        channel: int = 0,
        full_scale_v: float = 4.096,
        data_rate: int = 128,
    ) -> None:
        self._config = config_word(channel, full_scale_v, data_rate, continuous=True)
        self._bus = bus
        self.address = address
        self.bus_number = bus_number
        self.channel = channel
        self.full_scale_v = full_scale_v
        self.data_rate = data_rate
        self.is_open = False

    def open(self) -> None:
        """Start continuous conversions and check the chip took the configuration."""
        if self.is_open:
            return
        try:
            self._bus.write_word_data(self.address, REG_CONFIG, swap_bytes(self._config))
            readback = swap_bytes(self._bus.read_word_data(self.address, REG_CONFIG))
        except OSError as exc:
            raise SensorNotFound("ADS1115", self.bus_number, self.address, str(exc)) from exc
        # OS reads back as status (0 while converting), so compare everything else.
        if readback & ~CONFIG_OS != self._config & ~CONFIG_OS:
            raise SensorNotFound(
                "ADS1115",
                self.bus_number,
                self.address,
                f"config register read back 0x{readback:04X} after writing 0x{self._config:04X}",
            )
        self.is_open = True

    def read_volts(self) -> float:
        """The most recent conversion, in volts."""
        if not self.is_open:
            raise RuntimeError("Ads1115.open() must be called before read_volts()")
        word = swap_bytes(self._bus.read_word_data(self.address, REG_CONVERSION))
        return volts_from_conversion(word, self.full_scale_v)

    def measure(self, channel: int, sleep: Callable[[float], None]) -> float:
        """One single-shot conversion of another input (AINx–GND), then back to continuous
        conversions of this one. Costs about two conversion periods of the continuous input."""
        if not self.is_open:
            raise RuntimeError("Ads1115.open() must be called before measure()")
        shot = config_word(channel, self.full_scale_v, self.data_rate, continuous=False)
        period = 1.0 / self.data_rate
        self._bus.write_word_data(self.address, REG_CONFIG, swap_bytes(shot))
        try:
            sleep(period * CONVERSION_MARGIN)
            for _ in range(CONVERSION_POLLS):
                if swap_bytes(self._bus.read_word_data(self.address, REG_CONFIG)) & CONFIG_OS:
                    word = swap_bytes(self._bus.read_word_data(self.address, REG_CONVERSION))
                    return volts_from_conversion(word, self.full_scale_v)
                sleep(period / CONVERSION_POLLS)
            raise OSError(
                f"ADS1115 on bus {self.bus_number} at 0x{self.address:02X}: the conversion of "
                f"AIN{channel} did not finish"
            )
        finally:
            self._bus.write_word_data(self.address, REG_CONFIG, swap_bytes(self._config))

    def close(self) -> None:
        """Back to single-shot mode: the chip powers down after the conversion in progress."""
        if not self.is_open:
            return
        self.is_open = False
        idle = (self._config | CONFIG_MODE_SINGLE_SHOT) & ~CONFIG_OS
        try:
            self._bus.write_word_data(self.address, REG_CONFIG, swap_bytes(idle))
        except OSError as exc:  # unplugged: nothing left to power down
            log.warning(
                "ADS1115 on bus %s at 0x%02X: power-down failed: %s",
                self.bus_number,
                self.address,
                exc,
            )

    def __enter__(self) -> Ads1115:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
