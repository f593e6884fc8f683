"""Level arithmetic on float32 PCM: decibels, RMS and peak, normalising, limiting.

Pure functions on numpy arrays (any shape; stereo PCM is (n, 2)). Full scale is 1.0.
"""

from __future__ import annotations

import math

import numpy as np

SOFT_KNEE_DB = 3.0  # the soft limiter starts bending this far below its ceiling
CHUNK_ROWS = 65536  # long arrays are measured and limited in slices: minutes of PCM never
# need a float64 or boolean copy of themselves (a 3-minute segment is 64 MB as float32)


def db_to_gain(db: float) -> float:
    """Amplitude gain for a level change in dB (-inf → 0)."""
    if db == -math.inf:
        return 0.0
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """Level change in dB for an amplitude gain (0 → -inf)."""
    if gain <= 0.0:
        return -math.inf
    return float(20.0 * math.log10(gain))


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level of all samples in dB relative to full scale (digital silence → -inf)."""
    if x.size == 0:
        return -math.inf
    total = 0.0
    for start in range(0, len(x), CHUNK_ROWS):
        total += float(np.sum(np.square(x[start : start + CHUNK_ROWS], dtype=np.float64)))
    return gain_to_db(math.sqrt(total / x.size))


def peak_dbfs(x: np.ndarray) -> float:
    """Largest absolute sample in dB relative to full scale (digital silence → -inf)."""
    if x.size == 0:
        return -math.inf
    return gain_to_db(
        max(float(np.max(np.abs(x[i : i + CHUNK_ROWS]))) for i in range(0, len(x), CHUNK_ROWS))
    )


def normalise_rms(x: np.ndarray, target_dbfs: float) -> np.ndarray:
    """A copy of x scaled so its RMS level is target_dbfs (silence stays silence)."""
    level = rms_dbfs(x)
    if level == -math.inf:
        return x.astype(np.float32, copy=True)
    gain = db_to_gain(target_dbfs - level)
    return (x * gain).astype(np.float32, copy=False)


def limit(
    x: np.ndarray,
    ceiling_dbfs: float,
    *,
    knee_db: float = SOFT_KNEE_DB,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Soft-limit x so that no sample exceeds ceiling_dbfs.

    Below the knee (knee_db under the ceiling) samples pass untouched; above it they bend
    smoothly (tanh, slope 1 at the knee so there is no kink) towards the ceiling, and a hard
    clip at the ceiling guarantees the bound whatever float rounding does. Memoryless: no
    look-ahead, no state, safe to apply block by block. `out` may be x itself (in place).
    """
    ceiling = db_to_gain(ceiling_dbfs)
    knee = ceiling * db_to_gain(-knee_db)
    span = ceiling - knee
    if out is None:
        out = np.array(x, dtype=np.float32, copy=True)
    elif out is not x:
        np.copyto(out, x)
    for start in range(0, max(len(out), 1), CHUNK_ROWS):
        part = out[start : start + CHUNK_ROWS]
        magnitude = np.abs(part)
        over = magnitude > knee
        if np.any(over):
            bent = knee + span * np.tanh((magnitude[over] - knee) / span)
            part[over] = np.copysign(bent, part[over])
        np.clip(part, -ceiling, ceiling, out=part)
    return out


def fade_edges(pcm: np.ndarray, frames: int) -> None:
    """Equal-power fade in at the start and out at the end, in place."""
    frames = min(frames, len(pcm) // 2)
    if frames <= 0:
        return
    ramp = np.sin(0.5 * math.pi * (np.arange(frames, dtype=np.float32) + 0.5) / frames)
    pcm[:frames] *= ramp[:, None]
    pcm[len(pcm) - frames :] *= ramp[::-1, None]
