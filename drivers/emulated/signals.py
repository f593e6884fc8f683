"""What feeds the emulated sensors: physiology as functions of time.

Emulators ask for values at the instants the real chip would sample; a virtual listener, a
recording or the simple sources below answer.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

PPG_FULL_SCALE_COUNTS = 0x3FFFF  # 18-bit ADC
RED_DC_RATIO = 0.8  # red returns less light than IR from a fingertip
RED_AC_RATIO = 0.5  # (AC/DC red)/(AC/DC IR) = R ≈ 0.5 is SpO2 near 97 %
RESPIRATION_HZ = 0.25  # 15 breaths/min
RESPIRATION_DEPTH = 0.1  # baseline wander, relative to the cardiac AC amplitude
NOISE_DEPTH = 0.01  # white noise, relative to the cardiac AC amplitude


class PpgSignal(Protocol):
    def ppg(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(red, ir) raw 18-bit counts at ascending sample times t (seconds).

        Both fall as blood volume rises (more blood absorbs more light); the IR trace is the
        one usually analysed, inverted relative to blood volume.
        """
        ...


class GsrSignal(Protocol):
    def conductance(self, t: np.ndarray) -> np.ndarray:
        """Skin conductance in µS at times t; NaN where the electrodes are off."""
        ...


def pulse_shape(phase: np.ndarray) -> np.ndarray:
    """Blood volume over one beat (phase 0..1): a systolic peak and a smaller diastolic wave.

    Peaks near 1.0; the dicrotic notch falls between the two waves.
    """
    systolic = np.exp(-0.5 * ((phase - 0.18) / 0.07) ** 2)
    diastolic = 0.45 * np.exp(-0.5 * ((phase - 0.45) / 0.09) ** 2)
    return systolic + diastolic


class SyntheticPpg:
    """A steady fingertip PPG at a fixed heart rate, with breathing wander and a little noise."""

    def __init__(
        self, hr_bpm: float = 60.0, dc: float = 100000, ac_fraction: float = 0.01, seed: int = 0
    ) -> None:
        if hr_bpm <= 0:
            raise ValueError(f"hr_bpm must be positive: {hr_bpm}")
        self.hr_bpm = float(hr_bpm)
        self.dc = float(dc)
        self.ac_fraction = float(ac_fraction)
        self._rng = np.random.default_rng(seed)

    def blood_volume(self, t: np.ndarray) -> np.ndarray:
        """Relative blood volume (0..~1) at times t."""
        phase = np.mod(np.asarray(t, dtype=float) * self.hr_bpm / 60.0, 1.0)
        return pulse_shape(phase)

    def ppg(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(t, dtype=float)
        volume = self.blood_volume(t)
        wander = RESPIRATION_DEPTH * np.sin(2 * np.pi * RESPIRATION_HZ * t)
        noise = NOISE_DEPTH * self._rng.standard_normal(t.shape)
        modulation = volume + wander + noise
        ir = self.dc * (1.0 - self.ac_fraction * modulation)
        red = RED_DC_RATIO * self.dc * (1.0 - RED_AC_RATIO * self.ac_fraction * modulation)
        clip = (0.0, float(PPG_FULL_SCALE_COUNTS))
        return np.clip(red, *clip), np.clip(ir, *clip)


class ConstantConductance:
    """A skin conductance that never changes (or NaN: electrodes off)."""

    def __init__(self, microsiemens: float) -> None:
        self.microsiemens = float(microsiemens)

    def conductance(self, t: np.ndarray) -> np.ndarray:
        return np.full(np.shape(t), self.microsiemens, dtype=float)
