"""Population priors for the entry estimate: how a listener's calibration minutes compare with
people of their age at rest, needing no earlier session.

The relative estimators read every window against the listener's own calibration, so they cannot
tell an agitated arrival from a calm one; the iso principle's entry, and a clinician, need that.
Resting heart rate hardly changes with age in adults; short-term RMSSD roughly halves between
the twenties and the seventies, so an older listener's low RMSSD is not agitation.

Sources (healthy adults at rest, short-term recordings):
- resting heart rate: mean about 72 bpm, SD about 10, little change with adult age (Ostchega
  et al. 2011, Natl Health Stat Report 41, NHANES 1999-2008; AHA 60-100 bpm);
- RMSSD: about 42 ± 15 ms across studies of healthy adults (Nunan et al. 2010, PACE 33:1407),
  falling with age decade from about 40 ms at 25-34 to about 20 ms at 65-74 and flat after
  (Voss et al. 2012, Physiol Meas 33:1289, KORA S4, 1906 people). The band medians below are
  those trends rounded; ln RMSSD has an SD of about 0.5 within a band.
Skin conductance is left out on purpose: its absolute level depends on the skin, the electrodes
and the GSR module's calibration far more than on age or arousal (Boucsein 2012, ch. 2).

A profile may carry an age band (never a birth date); without one the all-adult prior applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from appliance.affect.baseline import Baseline


@dataclass(frozen=True)
class RestingNorm:
    hr_bpm: float
    hr_sd_bpm: float
    ln_rmssd: float
    ln_rmssd_sd: float


ALL_ADULTS = RestingNorm(72.0, 10.0, math.log(35.0), 0.5)
AGE_BANDS = MappingProxyType(
    {
        "18-39": RestingNorm(72.0, 10.0, math.log(40.0), 0.5),
        "40-59": RestingNorm(72.0, 10.0, math.log(29.0), 0.5),
        "60-69": RestingNorm(71.0, 10.0, math.log(22.0), 0.5),
        "70-79": RestingNorm(71.0, 10.0, math.log(20.0), 0.5),
        "80+": RestingNorm(71.0, 10.0, math.log(20.0), 0.5),
    }
)


def resting_norm(age_band: str | None) -> RestingNorm:
    return ALL_ADULTS if age_band is None else AGE_BANDS[age_band]


WEIGHTS = {"hr": 0.6, "rmssd": 0.4}  # heart rate is measured more reliably than RMSSD
GAIN = 1.0  # logistic slope per standardised unit
UNKNOWN_AROUSAL = 0.5  # no cardiac data: no guess either way


def entry_arousal(
    baseline: Baseline, age_band: str | None = None, norm: RestingNorm | None = None
) -> float:
    """An absolute arousal guess (0..1): the calibration's HR and RMSSD against resting norms.

    With the all-adult norm, HR 72 with RMSSD 35 ms gives 0.5; HR 92 (two SDs above) with RMSSD
    20 ms about 0.8; HR 60 with RMSSD 55 ms about 0.25. Fitness and medication (beta blockers)
    shift these norms too, so this is a starting guess; with no cardiac data it returns 0.5.
    `norm`, when given, replaces the age band's (the listener's own reference: personal.py).
    """
    norm = norm if norm is not None else resting_norm(age_band)
    z: dict[str, float] = {}
    if math.isfinite(baseline.hr_bpm):
        z["hr"] = (baseline.hr_bpm - norm.hr_bpm) / norm.hr_sd_bpm
    if math.isfinite(baseline.rmssd_ms) and baseline.rmssd_ms > 0:
        # Lower HRV = more arousal, hence the sign.
        z["rmssd"] = -(math.log(baseline.rmssd_ms) - norm.ln_rmssd) / norm.ln_rmssd_sd
    if not z:
        return UNKNOWN_AROUSAL
    total = sum(WEIGHTS[k] for k in z)
    combined = sum(WEIGHTS[k] * v for k, v in z.items()) / total
    return 1.0 / (1.0 + math.exp(-GAIN * combined))
