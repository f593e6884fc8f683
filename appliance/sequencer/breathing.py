"""The opt-in breathing guide: a slow loudness swell that invites slower breathing.

Leslie, Ghandeharioun, Zhou & Picard 2019 ("Engineering music to slow breathing and invite
relaxed physiology", ACII 2019) paced breathing with volume swells at 75 % of the listener's
measured rate, stepping down towards resonance breathing at ~6 breaths/min
(Lehrer & Gevirtz 2014, Front Psychol 5:756), where HRV is largest. Each segment the swell
runs at 75 % of the breathing rate just measured, never below the resonance rate; the LED
pulses with the same period. The swell dips below the segment's level and back, so its mean
level never rises: it is not a crescendo.
"""

from __future__ import annotations

import math

import numpy as np

SWELL_RATIO = 0.75  # of the measured breathing rate
RESONANCE_BPM = 6.0  # breaths per minute the guide steps towards
TYPICAL_RESTING_BPM = 12.0  # assumed when no breathing rate has been measured yet
SWELL_DEPTH_DB = 3.0  # peak-to-trough; gentle enough not to startle
GUIDED_PHASES = frozenset({"descend", "trough", "plateau", "dip", "settle", "steady"})


def swell_rate_bpm(measured_bpm: float | None, previous_bpm: float | None = None) -> float:
    """The next swell rate: 75 % of the measured rate, never below ~6/min, and never faster
    than the previous swell (the guide only ever leads downwards)."""
    if measured_bpm is None or not math.isfinite(measured_bpm) or measured_bpm <= 0:
        measured_bpm = previous_bpm / SWELL_RATIO if previous_bpm else TYPICAL_RESTING_BPM
    rate = max(RESONANCE_BPM, SWELL_RATIO * measured_bpm)
    if previous_bpm is not None:
        rate = min(rate, previous_bpm)
    return round(rate, 2)


def swell_gain_db(t: float, period_s: float, depth_db: float = SWELL_DEPTH_DB) -> float:
    """The swell's level offset at time t (0 at the top of each breath, -depth at the bottom)."""
    return -depth_db * 0.5 * (1.0 - math.cos(2.0 * math.pi * t / period_s))


def swell_envelope(
    n_frames: int,
    sample_rate: int,
    period_s: float,
    start_s: float = 0.0,
    depth_db: float = SWELL_DEPTH_DB,
) -> np.ndarray:
    """Gain per frame (float32, ≤ 1) for a segment starting at session time start_s: the phase
    follows session time, so consecutive segments (and the LED) stay in step."""
    t = start_s + np.arange(n_frames, dtype=np.float64) / sample_rate
    db = -depth_db * 0.5 * (1.0 - np.cos(2.0 * np.pi * t / period_s))
    return (10.0 ** (db / 20.0)).astype(np.float32)


def with_swell(pcm: np.ndarray, sample_rate: int, period_s: float | None, start_s: float):
    """A segment's PCM (frames, channels) with the swell applied; unchanged without a period."""
    if period_s is None or len(pcm) == 0:
        return pcm
    return pcm * swell_envelope(len(pcm), sample_rate, period_s, start_s)[:, None]


def breathing_period(extra: dict[str, object]) -> float | None:
    """The swell period a Decision carries (Decision.extra["breathing_period_s"]), if any."""
    period = extra.get("breathing_period_s")
    return float(period) if isinstance(period, (int, float)) else None
