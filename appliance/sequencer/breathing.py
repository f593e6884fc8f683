"""The opt-in breathing guide: a slow loudness swell that invites slower breathing.

Leslie, Ghandeharioun, Zhou & Picard 2019 ("Engineering music to slow breathing and invite
relaxed physiology", ACII 2019) paced breathing with volume swells at 75 % of the listener's
measured rate, stepping down towards resonance breathing at ~6 breaths/min
(Lehrer & Gevirtz 2014, Front Psychol 5:756), where HRV is largest. Each segment the swell
runs at 75 % of the breathing rate just measured, never below the resonance rate; the LED
pulses with the same period. This module is the pacing rule; the swell's sound (a dip below
the segment's level and back, never a crescendo) is appliance/music/layers.py's.
"""

from __future__ import annotations

import math

SWELL_RATIO = 0.75  # of the measured breathing rate
RESONANCE_BPM = 6.0  # breaths per minute the guide steps towards
TYPICAL_RESTING_BPM = 12.0  # assumed when no breathing rate has been measured yet
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
