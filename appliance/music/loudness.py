"""Programme loudness after ITU-R BS.1770 (K-weighting, 400 ms blocks, gating) and its range.

`LoudnessMeter` takes audio chunk by chunk (filter state carried over), so a long track is
measured without holding it in memory; it keeps only one energy per 100 ms.
"""

from __future__ import annotations

import math

import numpy as np

# numpy filtering, not scipy.signal: that costs about 75 MB of the service's 120 MB on a Pi.
from appliance.numeric.iir import sosfilt

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0  # integrated loudness (BS.1770-4)
RANGE_RELATIVE_GATE_LU = -20.0  # loudness range (EBU Tech 3342)
LOUDNESS_OFFSET_DB = -0.691
STEP_S = 0.1  # energies are kept per 100 ms
BLOCK_STEPS = 4  # 400 ms gating blocks, 75 % overlap
SHORT_TERM_STEPS = 30  # 3 s short-term loudness for the range
RANGE_PERCENTILES = (10.0, 95.0)

# The two K-weighting biquads, re-derived for any sample rate by the bilinear transform (the
# parameters that reproduce BS.1770's published 48 kHz coefficients, as libebur128 does).
SHELF_HZ, SHELF_GAIN_DB, SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
SHELF_BAND_EXPONENT = 0.4996667741545416
HIGHPASS_HZ, HIGHPASS_Q = 38.13547087602444, 0.5003270373238773


def k_weighting(sample_rate: int) -> np.ndarray:
    """The K-weighting filter at sample_rate as second-order sections [b0 b1 b2 1 a1 a2]:
    the high shelf, then the high-pass (the two biquads BS.1770 specifies, kept apart)."""
    k = math.tan(math.pi * SHELF_HZ / sample_rate)
    v_high = 10.0 ** (SHELF_GAIN_DB / 20.0)
    v_band = v_high**SHELF_BAND_EXPONENT
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf_b = (
        np.array(
            [
                v_high + v_band * k / SHELF_Q + k * k,
                2.0 * (k * k - v_high),
                v_high - v_band * k / SHELF_Q + k * k,
            ]
        )
        / a0
    )
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / SHELF_Q + k * k) / a0])
    k = math.tan(math.pi * HIGHPASS_HZ / sample_rate)
    a0 = 1.0 + k / HIGHPASS_Q + k * k
    high_b = np.array([1.0, -2.0, 1.0])
    high_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / HIGHPASS_Q + k * k) / a0])
    return np.array([np.concatenate((shelf_b, shelf_a)), np.concatenate((high_b, high_a))])


class LoudnessMeter:
    """Feed (n, channels) float chunks; read integrated loudness and loudness range."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._sos = k_weighting(sample_rate)
        self._state = np.zeros((len(self._sos), 2, channels))
        self._step = max(1, round(STEP_S * sample_rate))
        self._carry = np.zeros((0, channels))
        self._energies: list[float] = []  # per 100 ms: sum over channels of mean square

    def add(self, chunk: np.ndarray) -> None:
        chunk = np.asarray(chunk, dtype=np.float64)
        weighted, self._state = sosfilt(self._sos, chunk, self._state)
        pending = np.concatenate([self._carry, weighted])
        whole = len(pending) // self._step * self._step
        if whole:
            steps = pending[:whole].reshape(-1, self._step, pending.shape[1])
            self._energies.extend(np.mean(steps**2, axis=1).sum(axis=1).tolist())
        self._carry = pending[whole:]

    def integrated_lufs(self) -> float:
        """Gated programme loudness; -inf for silence or under 400 ms of audio."""
        blocks = _block_loudness(np.asarray(self._energies), BLOCK_STEPS)
        return _gated_mean(blocks, RELATIVE_GATE_LU)

    def range_lu(self) -> float:
        """Loudness range: the spread of 3 s loudness, 10th to 95th percentile (0 if too short)."""
        short_term = _block_loudness(np.asarray(self._energies), SHORT_TERM_STEPS, hop=10)
        loud = short_term[short_term > ABSOLUTE_GATE_LUFS]
        if len(loud) < 2:
            return 0.0
        gate = _energy_to_lufs(np.mean(_lufs_to_energy(loud))) + RANGE_RELATIVE_GATE_LU
        kept = loud[loud > gate]
        low, high = np.percentile(kept, RANGE_PERCENTILES)
        return float(high - low)


def integrated_lufs(pcm: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of a whole (n,) or (n, channels) array."""
    pcm = pcm[:, None] if pcm.ndim == 1 else pcm
    meter = LoudnessMeter(sample_rate, pcm.shape[1])
    meter.add(pcm)
    return meter.integrated_lufs()


def _block_loudness(energies: np.ndarray, steps: int, hop: int = 1) -> np.ndarray:
    if len(energies) < steps:
        return np.zeros(0)
    sums = np.convolve(energies, np.ones(steps) / steps, mode="valid")[::hop]
    return _energy_to_lufs(sums)


def _gated_mean(blocks: np.ndarray, relative_lu: float) -> float:
    loud = blocks[blocks > ABSOLUTE_GATE_LUFS]
    if len(loud) == 0:
        return -math.inf
    gate = _energy_to_lufs(np.mean(_lufs_to_energy(loud))) + relative_lu
    return float(_energy_to_lufs(np.mean(_lufs_to_energy(loud[loud > gate]))))


def _energy_to_lufs(energy: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return LOUDNESS_OFFSET_DB + 10.0 * np.log10(energy)


def _lufs_to_energy(lufs: np.ndarray) -> np.ndarray:
    return 10.0 ** ((lufs - LOUDNESS_OFFSET_DB) / 10.0)
