"""Grove GSR: skin conductance from the module's output voltage, read through an ADS1115.

The module's divider gives, with x = Vsig/Vcc, R = K·(1+2x)/(1−2x). K is calibrated against known
resistors and kept in config (Seeed's pages disagree by 10×). As x → 0.5 the resistance goes to
infinity: the electrodes are off the skin.
"""

from __future__ import annotations

import math

import numpy as np

from drivers.ads1115 import Ads1115
from drivers.sources import GsrBatch, Now

ELECTRODES_OFF_RATIO = 0.49  # x = Vsig/Vcc at or above this: open circuit, no skin contact
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
        k_ohm: float = 200.0,
        poll_hz: float = 10.0,
    ) -> None:
        _check_circuit(supply_v, k_ohm)
        if not (math.isfinite(poll_hz) and poll_hz > 0):
            raise ValueError(f"poll_hz must be positive: {poll_hz}")
        self._adc = adc
        self._now = now
        self.supply_v = supply_v
        self.k_ohm = k_ohm
        self._period_s = 1.0 / poll_hz
        if not adc.is_open:
            adc.open()
        self._last_t = now()

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
