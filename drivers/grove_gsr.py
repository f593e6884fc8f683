"""Grove GSR: skin conductance from the module's output voltage, read through an ADS1115.

The module's divider gives, with x = Vsig/Vcc, R = K·(1+2x)/(1−2x). Seeed's published formula,
R = (1024 + 2·reading)·10000 / (512 − reading) for a 10-bit reading, is that with K = 20 kΩ
(10000·1024/512); it holds only with the board's trimmer set so that the output is Vcc/2 with
nothing on the electrodes, and K is then checked against known resistors
(`attune hw calibrate gsr`). As x → 0.5 the resistance goes to infinity: the electrodes are off.

Vcc is measured on a spare ADS1115 input when one is wired (a 1 % supply error shifts every
reading by about 0.25 µS), and mains hum is kept out by the ADC's own averaging: in continuous
mode each conversion averages the input over its whole period (1/data_rate), a boxcar whose
nulls fall on multiples of the data rate. At 16 samples/s 50 Hz is 28 dB down and 60 Hz 24 dB
before the conversion register is sampled, where it would otherwise fold to 2 Hz.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from drivers.ads1115 import Ads1115
from drivers.sources import GsrBatch, Now, SensorNotFound

log = logging.getLogger(__name__)

ELECTRODES_OFF_RATIO = 0.49  # x = Vsig/Vcc at or above this: open circuit, no skin contact
SEEED_K_OHM = 20.0  # Seeed's formula (see above); the one default everywhere
SUPPLY_TOLERANCE = 0.1  # a measured Vcc further than this from the nominal one is not Vcc
OHMS_PER_KILOOHM = 1000.0
MICROSIEMENS_PER_SIEMENS = 1e6


def _check_circuit(supply_v: float, k_ohm: float) -> None:
    if not (math.isfinite(supply_v) and supply_v > 0):
        raise ValueError(f"supply_v must be a positive voltage: {supply_v}")
    if not (math.isfinite(k_ohm) and k_ohm > 0):
        raise ValueError(f"k_ohm must be a positive resistance in kΩ: {k_ohm}")


def microsiemens_from_volts(
    v_sig: float | np.ndarray, supply_v: float, k_ohm: float
) -> float | np.ndarray:
    """Skin conductance (µS) from the module's output voltage; NaN when it cannot be skin.

    NaN for electrodes off (x ≥ 0.49), negative or non-finite input. Arrays map element-wise.
    """
    _check_circuit(supply_v, k_ohm)
    v = np.asarray(v_sig, dtype=float)
    x = v / supply_v
    valid = np.isfinite(x) & (x >= 0.0) & (x < ELECTRODES_OFF_RATIO)
    xv = np.where(valid, x, 0.0)
    ohms = k_ohm * OHMS_PER_KILOOHM * (1 + 2 * xv) / (1 - 2 * xv)
    us = np.where(valid, MICROSIEMENS_PER_SIEMENS / ohms, np.nan)
    return float(us) if us.ndim == 0 else us


def volts_from_microsiemens(
    us: float | np.ndarray, supply_v: float, k_ohm: float
) -> float | np.ndarray:
    """The module's output voltage for a skin conductance: the inverse, for emulators.

    NaN or non-positive conductance (open circuit) gives Vcc/2; conductance above the module's
    range, 1e6/K µS at 0 V, gives 0 V, where the output clips.
    """
    _check_circuit(supply_v, k_ohm)
    g = np.asarray(us, dtype=float)
    open_circuit = ~np.isfinite(g) | (g <= 0)
    safe = np.where(open_circuit, 1.0, g)
    ratio = MICROSIEMENS_PER_SIEMENS / safe / (k_ohm * OHMS_PER_KILOOHM)  # (1+2x)/(1−2x)
    x = np.clip((ratio - 1) / (2 * (ratio + 1)), 0.0, 0.5)
    volts = np.where(open_circuit, supply_v / 2, x * supply_v)
    return float(volts) if volts.ndim == 0 else volts


class GroveGsrSource:
    """A GsrSource: one conductance sample per poll period from the ADS1115's latest conversion.

    The ADC converts continuously; reading its register at poll_hz takes the newest conversion.
    The first sample comes one poll period after construction, so a conversion is ready by then.
    """

    def __init__(
        self,
        adc: Ads1115,
        *,
        now: Now,
        supply_v: float = 3.3,
        k_ohm: float = SEEED_K_OHM,
        poll_hz: float = 10.0,
        supply_channel: int | None = None,
        sleep: Callable[[float], None] | None = None,
        supply_reading_v: float | None = None,
    ) -> None:
        """`supply_reading_v`: what `supply_channel` read moments ago (the caller kept it from
        an earlier opening); measured here when None, at the cost of two conversions."""
        _check_circuit(supply_v, k_ohm)
        if not (math.isfinite(poll_hz) and poll_hz > 0):
            raise ValueError(f"poll_hz must be positive: {poll_hz}")
        self._adc = adc
        self._now = now
        self.nominal_supply_v = supply_v
        self.supply_v = supply_v
        self.supply_problem = ""  # why a wired supply input was not used
        self.k_ohm = k_ohm
        self._period_s = 1.0 / poll_hz
        if not adc.is_open:
            adc.open()
        self.supply_reading_v: float | None = None  # the raw AIN reading Vcc came from
        if supply_channel is not None and supply_reading_v is not None:
            self.supply_reading_v = supply_reading_v
            self.supply_v = self._measured_supply(supply_reading_v, supply_channel)
        elif supply_channel is not None:
            if sleep is None:
                raise ValueError("measuring the supply needs a sleep function")
            try:
                volts = adc.measure(supply_channel, sleep)
            except SensorNotFound:
                raise
            except OSError as exc:  # an I2C fault: the session treats the GSR as not there yet
                detail = f"measuring the supply on AIN{supply_channel}: {exc}"
                raise SensorNotFound("ADS1115", adc.bus_number, adc.address, detail) from exc
            self.supply_reading_v = volts
            self.supply_v = self._measured_supply(volts, supply_channel)
        self._last_t = now()

    def _measured_supply(self, volts: float, channel: int) -> float:
        """The measured Vcc, or the nominal one when the input plainly is not wired to Vcc."""
        if abs(volts / self.nominal_supply_v - 1.0) <= SUPPLY_TOLERANCE:
            return volts
        self.supply_problem = (
            f"AIN{channel} reads {volts:.3f} V, not the GSR's supply (nominal "
            f"{self.nominal_supply_v:g} V): wire the Grove VCC to AIN{channel} too, or set "
            "hardware.gsr.supply_channel: none"
        )
        log.warning("GSR supply not measured: %s", self.supply_problem)
        return self.nominal_supply_v

    def read(self) -> GsrBatch:
        t = self._now()
        # A nanosecond of slack: polls 0.1 s apart must not miss on float rounding.
        if t - self._last_t < self._period_s - 1e-9:
            return GsrBatch(t=np.empty(0), microsiemens=np.empty(0))
        volts = self._adc.read_volts()
        self._last_t = t
        us = microsiemens_from_volts(volts, self.supply_v, self.k_ohm)
        return GsrBatch(t=np.array([t]), microsiemens=np.array([us], dtype=float))

    def close(self) -> None:
        self._adc.close()
