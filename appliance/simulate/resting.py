"""A virtual listener's resting heart: an age band, and resting HR and RMSSD drawn from the
published norms for it, so that virtual people differ from each other as much as real ones do.

The entry estimate (affect/priors.py) reads a calibration against resting norms; virtual
listeners whose resting physiology followed no norm (resting HR about 83 ± 7 bpm, RMSSD with
no age trend) made its absolute level meaningless and its between-person spread too small.

Sources (healthy adults, seated or supine rest, short-term recordings):
- resting heart rate about 72 bpm, SD about 10, little change with adult age (Ostchega et al.
  2011, Natl Health Stat Report 41, NHANES 1999-2008);
- RMSSD falling with age from about 40 ms in the twenties and thirties to about 20 ms after 65
  (Voss et al. 2015, PLoS ONE 10:e0118308, KORA S4, 1906 people; Nunan et al. 2010, PACE
  33:1407), ln RMSSD with an SD of about 0.5 within an age band.
"Resting" is taken as the listener's own rest_arousal (quiet, seated): the norms describe
people measured at rest, not at arousal 0. Age bands are drawn evenly (the appliance serves
adults of any age; care homes skew old, day services and hospices less so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.affect.priors import AGE_BANDS
from appliance.simulate.listener import RMSSD_FALL

RESTING_HR_BPM = 72.0
RESTING_HR_SD_BPM = 10.0
RESTING_HR_LIMITS_BPM = (50.0, 105.0)  # a resting heart outside these is not a healthy one
RESTING_RMSSD_MS = {"18-39": 40.0, "40-59": 29.0, "60-69": 22.0, "70-79": 20.0, "80+": 20.0}
LN_RMSSD_SD = 0.5
RMSSD_LIMITS_MS = (8.0, 120.0)
# HR at arousal 1 over HR at arousal 0, minus 1: a share of the listener's own rate, so that a
# slow resting heart is not driven below 40 bpm by calming music (HR_FLOOR_BPM). With a
# resting 72 bpm, rest to agitated (arousal 0.45 to 0.9) then adds about 15 bpm, 1.5
# between-person SDs: more than the pooled heart-rate effect of the Trier Social Stress Test
# in young people (0.89 SD; Seddon et al. 2020, Psychoneuroendocrinology 116:104582), so if
# anything generous to the entry estimate.
RELATIVE_HR_GAIN = (0.4, 0.8)
HR_FLOOR_BPM = 42.0  # HR at arousal 0 stays above this (the safety guard stops below 40)


@dataclass(frozen=True)
class RestingHeart:
    age_band: str
    resting_hr_bpm: float  # at the listener's rest_arousal
    resting_rmssd_ms: float
    baseline_hr_bpm: float  # at arousal 0 (ListenerTraits' convention)
    hr_gain_bpm: float
    baseline_rmssd_ms: float


def resting_heart(rng: np.random.Generator, rest_arousal: float) -> RestingHeart:
    """One person's age band and resting heart, and the arousal-0 traits that give them."""
    bands = tuple(AGE_BANDS)
    band = bands[int(rng.integers(len(bands)))]
    hr = float(np.clip(rng.normal(RESTING_HR_BPM, RESTING_HR_SD_BPM), *RESTING_HR_LIMITS_BPM))
    ln_rmssd = rng.normal(math.log(RESTING_RMSSD_MS[band]), LN_RMSSD_SD)
    rmssd = float(np.clip(math.exp(ln_rmssd), *RMSSD_LIMITS_MS))
    # A slow heart responds less, so that arousal 0 still leaves it above the floor.
    relative_gain = min(
        float(rng.uniform(*RELATIVE_HR_GAIN)), (hr / HR_FLOOR_BPM - 1) / rest_arousal
    )
    baseline_hr = hr / (1.0 + relative_gain * rest_arousal)
    return RestingHeart(
        age_band=band,
        resting_hr_bpm=hr,
        resting_rmssd_ms=rmssd,
        baseline_hr_bpm=baseline_hr,
        hr_gain_bpm=relative_gain * baseline_hr,
        baseline_rmssd_ms=rmssd / (1.0 - RMSSD_FALL * rest_arousal),
    )


def age_band_of(model: Any) -> str | None:
    """A listener model's `age_band` (as a listener profile carries it), refused at the
    session's start, not when calibration ends, if the priors do not know it."""
    band = getattr(model, "age_band", None)
    if band is not None and band not in AGE_BANDS:
        raise ValueError(f"listener model age_band {band!r} is not one of {', '.join(AGE_BANDS)}")
    return band
