"""Sample-rate conversion of whole clips with libsoxr (python-soxr; no scipy.signal).

`resample(pcm, from_rate, to_rate)` gives exactly round(n · to / from) samples, time-aligned as
scipy.signal.resample_poly's: output sample j is the input at time j · from / to (tests compare).

soxr.resample is libsoxr's one-shot call: it flushes the filter and drops its delay itself, so
its output is already on that grid (measured against resample_poly: a smooth bump's centre
within 0.008 output samples, from 16 kHz → 44.1 kHz to 44.1 kHz → 100 Hz). Its filter widens
with the ratio, so a large step down (44.1 kHz → 100 Hz, the simulated mixer's rate) is one
call, not a chain of 2:1 steps. Only the length needs a hand: soxr rounds a half sample up,
where round() goes to even.
"""

from __future__ import annotations

import numpy as np
import soxr

# Measured at 48 kHz → 44.1 kHz, the one downward step a 44.1 kHz mixer takes (x86 CPU time for
# a minute of stereo 44.1 → 48 kHz in brackets): "HQ" is flat within 0.01 dB to 20 kHz and
# puts a 23 kHz tone's alias 138 dB down (0.05 s); "MQ" droops 0.2 dB at 20 kHz for no saving
# (0.05 s); "VHQ" (28-bit) buys only inaudible margin (0.07 s). pedalboard's 32-tap windowed
# sinc, which this replaces: alias −32 dB for 1.4 s; scipy's resample_poly: −0.8 dB at 20 kHz,
# alias −11 dB, 0.10 s.
QUALITY = "HQ"


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """(n,) or (n, channels) float audio at `from_rate` → float32 at `to_rate`, with
    round(n · to_rate / from_rate) samples."""
    pcm = np.asarray(pcm, dtype=np.float32)
    if pcm.ndim not in (1, 2):
        raise ValueError(f"audio is (n,) or (n, channels), not {pcm.shape}")
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, not {from_rate} and {to_rate}")
    n_out = round(pcm.shape[0] * to_rate / from_rate)
    if from_rate == to_rate:
        return pcm.copy()
    if not pcm.size:
        return np.zeros((n_out, *pcm.shape[1:]), dtype=np.float32)
    resampled = soxr.resample(np.ascontiguousarray(pcm), from_rate, to_rate, QUALITY)
    if len(resampled) == n_out:  # nearly always: no second copy of a whole track
        return resampled
    out = np.zeros((n_out, *pcm.shape[1:]), dtype=np.float32)
    take = min(n_out, len(resampled))
    out[:take] = resampled[:take]
    return out
