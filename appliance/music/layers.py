"""numpy layers: the soft drone that stands in for silence, and the breathing swell.

Pure functions on float32 stereo PCM (n, 2). The swell only ever lowers the level (its crest
is 0 dB), so it can never push music over the cap, and it is a raised cosine in dB: smooth, no
corners, no jumps, and seamless across segments when each is given its start time. How fast
it breathes is the sequencer's rule (appliance/sequencer/breathing.py); its shape is here.
"""

from __future__ import annotations

import math

import numpy as np

from appliance.music.levels import normalise_rms
from appliance.music.recipe import KEYS

DRONE_DBFS = -45.0  # "silence" is a very soft drone: dead air sounds like a fault
DRONE_PARTIALS = ((0, 1.0), (7, 0.5), (12, 0.25))  # semitones above the tonic, amplitude
DRONE_OCTAVE_MIDI = 48  # C3: the drone's tonic sits in octave 3
DRONE_SWELL_PERIOD_S = 10.0  # one slow swell every ten seconds, like calm breathing
DRONE_SWELL_DEPTH = 0.3  # fraction of the amplitude the drone's own swell takes away
DRONE_FADE_S = 1.0

SWELL_DEPTH_DB = 3.0  # breathing swell, crest to trough: gentle enough not to startle


def drone(key: str, n_frames: int, sample_rate: int, level_dbfs: float = DRONE_DBFS) -> np.ndarray:
    """A very soft, slowly breathing drone (tonic, fifth, octave) at level_dbfs RMS."""
    t = np.arange(n_frames, dtype=np.float64) / sample_rate
    tonic_hz = 440.0 * 2.0 ** ((DRONE_OCTAVE_MIDI + KEYS.index(key) - 69) / 12.0)
    tone = np.zeros(n_frames, dtype=np.float64)
    for semitones, amplitude in DRONE_PARTIALS:
        tone += amplitude * np.sin(2.0 * math.pi * tonic_hz * 2.0 ** (semitones / 12.0) * t)
    swell = 0.5 * (1.0 - np.cos(2.0 * math.pi * t / DRONE_SWELL_PERIOD_S))
    tone *= 1.0 - DRONE_SWELL_DEPTH * swell
    fade = min(round(DRONE_FADE_S * sample_rate), n_frames // 2)
    if fade > 0:
        ramp = np.sin(0.5 * math.pi * np.arange(fade) / fade) ** 2
        tone[:fade] *= ramp
        tone[n_frames - fade :] *= ramp[::-1]
    stereo = np.repeat(tone[:, None], 2, axis=1).astype(np.float32)
    return normalise_rms(stereo, level_dbfs)


def swell_envelope(
    n_frames: int,
    sample_rate: int,
    period_s: float,
    start_s: float = 0.0,
    depth_db: float = SWELL_DEPTH_DB,
) -> np.ndarray:
    """The breathing swell's gain per frame (float32, crest 1.0 at t = 0) for a block starting
    at session time start_s: the phase follows session time, so consecutive segments (and the
    LED) stay in step."""
    t = start_s + np.arange(n_frames, dtype=np.float64) / sample_rate
    db = -depth_db * 0.5 * (1.0 - np.cos(2.0 * np.pi * t / period_s))
    return (10.0 ** (db / 20.0)).astype(np.float32)


def with_swell(
    pcm: np.ndarray, sample_rate: int, period_s: float | None, start_s: float
) -> np.ndarray:
    """A segment's PCM (frames, channels) with the swell applied; unchanged without a period."""
    if period_s is None or len(pcm) == 0:
        return pcm
    return pcm * swell_envelope(len(pcm), sample_rate, period_s, start_s)[:, None]
