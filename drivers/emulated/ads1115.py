"""ADS1115 register-level emulator with a Grove GSR on one input.

Pointer register (2 bits), 16-bit big-endian registers, continuous conversions at the configured
data rate and single-shot conversions, the PGA's full scale with clipping. The conversion
register holds the input averaged over the most recent conversion period, as the chip's
delta-sigma filter averages it (lower data rates average the 860 samples/s stream over their
longer period).

The Grove GSR beside it can be mis-set as real ones are: `open_ratio` is its output over Vcc with
nothing on the electrodes (0.5 when the trimmer is right), `hum_v` adds mains hum at `hum_hz`,
and `supply_channel` is the input its Vcc is also wired to (None: not wired).
"""

from __future__ import annotations

import numpy as np

from drivers.emulated.signals import GsrSignal
from drivers.grove_gsr import SEEED_K_OHM, volts_from_microsiemens
from drivers.sources import Now

REG_CONVERSION, REG_CONFIG, REG_LO_THRESH, REG_HI_THRESH = 0, 1, 2, 3
POWER_ON = {
    REG_CONVERSION: 0x0000,
    REG_CONFIG: 0x8583,
    REG_LO_THRESH: 0x8000,
    REG_HI_THRESH: 0x7FFF,
}
FULL_SCALE_V = (6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256)  # by PGA[11:9]
DATA_RATE_SPS = (8, 16, 32, 64, 128, 250, 475, 860)  # by DR[7:5]
# MUX[14:12] → (positive input, negative input); None is GND.
MUX_INPUTS = ((0, 1), (0, 3), (1, 3), (2, 3), (0, None), (1, None), (2, None), (3, None))
OS_BIT = 1 << 15
MODE_SINGLE_SHOT = 1 << 8
MODULATOR_SPS = 860  # the fastest rate; slower ones average this many per second


class Ads1115Emulator:
    """The ADC with the GSR module's output on AIN`gsr_channel`; other inputs sit at 0 V."""

    def __init__(
        self,
        now: Now,
        signal: GsrSignal,
        *,
        supply_v: float = 3.3,
        k_ohm: float = SEEED_K_OHM,
        gsr_channel: int = 0,
        supply_channel: int | None = None,
        open_ratio: float = 0.5,
        hum_v: float = 0.0,
        hum_hz: float = 50.0,
    ) -> None:
        self._now = now
        self.signal = signal
        self.supply_v = supply_v
        self.k_ohm = k_ohm
        self.gsr_channel = gsr_channel
        self.supply_channel = supply_channel
        self.open_ratio = open_ratio
        self.hum_v = hum_v
        self.hum_hz = hum_hz
        self._regs = dict(POWER_ON)
        self._pointer = REG_CONVERSION
        self._continuous_since: float | None = None  # start of continuous conversions
        self._single_shot_due: float | None = None  # end of a single-shot conversion

    @property
    def config(self) -> int:
        """The config register as the chip holds it (for tests and diagnostics)."""
        return self._regs[REG_CONFIG]

    # -- I2C transactions -------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if not data:
            return
        self._update()
        self._pointer = data[0] & 0x03
        if len(data) >= 3:  # a register write is pointer, MSB, LSB; extra bytes are ignored
            self._write_register(self._pointer, (data[1] << 8) | data[2])

    def read(self, length: int) -> bytes:
        self._update()
        value = self._regs[self._pointer]
        if self._pointer == REG_CONFIG:
            value = (value & ~OS_BIT) | (OS_BIT if self._idle() else 0)
        word = bytes([value >> 8, value & 0xFF])
        # The pointer does not move: longer reads repeat the register.
        return (word * (length // 2 + 1))[:length]

    # -- behaviour ------------------------------------------------------------------------------
    def _idle(self) -> bool:
        return self._continuous_since is None and self._single_shot_due is None

    def _write_register(self, register: int, value: int) -> None:
        if register == REG_CONVERSION:
            return  # read-only
        if register != REG_CONFIG:
            self._regs[register] = value
            return
        start_single = bool(value & OS_BIT)
        self._regs[REG_CONFIG] = value & ~OS_BIT
        now = self._now()
        if not value & MODE_SINGLE_SHOT:
            self._continuous_since = now
            self._single_shot_due = None
        else:
            self._continuous_since = None  # power-down after the conversion in progress
            if start_single and self._single_shot_due is None:
                self._single_shot_due = now + 1.0 / self._data_rate()

    def _data_rate(self) -> int:
        return DATA_RATE_SPS[(self._regs[REG_CONFIG] >> 5) & 0x07]

    def _update(self) -> None:
        """Latch the conversion register as of now()."""
        now = self._now()
        if self._single_shot_due is not None and now >= self._single_shot_due:
            self._latch(self._single_shot_due)
            self._single_shot_due = None
        if self._continuous_since is not None:
            period = 1.0 / self._data_rate()
            done = np.floor((now - self._continuous_since) / period + 1e-9)
            if done >= 1:
                self._latch(self._continuous_since + done * period)

    def _latch(self, t: float) -> None:
        config = self._regs[REG_CONFIG]
        positive, negative = MUX_INPUTS[(config >> 12) & 0x07]
        period = 1.0 / self._data_rate()
        n = max(1, round(MODULATOR_SPS * period))
        instants = t - period * (np.arange(n) + 0.5) / n  # the conversion's averaging window
        volts = self._input_volts(positive, instants)
        if negative is not None:
            volts = volts - self._input_volts(negative, instants)
        full_scale = FULL_SCALE_V[(config >> 9) & 0x07]
        counts = int(np.clip(round(float(np.mean(volts)) / full_scale * 32768), -32768, 32767))
        self._regs[REG_CONVERSION] = counts & 0xFFFF

    def _input_volts(self, channel: int, t: np.ndarray) -> np.ndarray:
        if channel == self.supply_channel:
            return np.full(len(t), self.supply_v)
        if channel != self.gsr_channel:
            return np.zeros(len(t))
        us = self.signal.conductance(t)
        volts = volts_from_microsiemens(us, self.supply_v, self.k_ohm)
        volts = volts + (self.open_ratio - 0.5) * self.supply_v  # the trimmer's offset
        volts = volts + self.hum_v * np.sin(2 * np.pi * self.hum_hz * t)
        return np.clip(volts, 0.0, self.supply_v)  # the op-amp's output swings rail to rail
