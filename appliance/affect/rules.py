"""Transparent rule-based arousal: deviations from the listener's own calibration baseline.

Each feature becomes a z-score against the baseline, signed so that + means more aroused;
a weighted mean of the available z-scores goes through a logistic. The calibration state maps
to CENTRE (0.5): the estimate says "more or less aroused than when we started", which is what
the sequencer's arc needs. Missing features (NaN) are skipped and the weights renormalised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from appliance.affect.baseline import Baseline
from appliance.affect.estimate import AffectEstimate
from appliance.signals.features import WindowFeatures

# Weights: HR and RMSSD are the most reliable markers of acute stress/arousal (Kim et al. 2018,
# Psychiatry Investig 15:235, HRV meta-analysis); tonic SCL and non-specific SCR rate track
# sympathetic arousal (Boucsein 2012, Electrodermal Activity, ch. 3) but are noisier with a
# clip-on finger GSR, so they weigh less.
WEIGHTS = {"hr": 0.35, "rmssd": 0.25, "scl": 0.25, "scr": 0.15}
GAIN = 1.2  # logistic slope per standardised unit: all features +2 SD → arousal ~0.92
CENTRE = 0.5  # arousal at the calibration baseline
Z_LIMIT = 4.0  # one wild feature cannot dominate
MIN_COVERAGE_CONFIDENCE = 0.4  # confidence multiplier with only the least-weighted features


@dataclass(frozen=True)
class RuleEstimator:
    baseline: Baseline
    centre: float = CENTRE

    def z_scores(self, features: WindowFeatures) -> dict[str, float]:
        """Signed standardised deviations (+ = more aroused) of the features available."""
        b = self.baseline
        pairs = {
            "hr": _z(features.hr_bpm, b.hr_bpm, b.hr_spread_bpm, +1),
            "rmssd": _z(features.rmssd_ms, b.rmssd_ms, b.rmssd_spread_ms, -1),  # HRV falls
            "scl": _z(features.scl_us, b.scl_us, b.scl_spread_us, +1),
            "scr": _z(features.scr_per_min, b.scr_per_min, b.scr_spread_per_min, +1),
        }
        return {k: v for k, v in pairs.items() if math.isfinite(v)}

    def estimate(self, features: WindowFeatures) -> AffectEstimate:
        z = self.z_scores(features)
        coverage = sum(WEIGHTS[k] for k in z) / sum(WEIGHTS.values())
        if z:
            combined = sum(WEIGHTS[k] * v for k, v in z.items()) / sum(WEIGHTS[k] for k in z)
            offset = math.log(self.centre / (1.0 - self.centre))
            arousal = 1.0 / (1.0 + math.exp(-(offset + GAIN * combined)))
            confidence = features.quality * (
                MIN_COVERAGE_CONFIDENCE + (1 - MIN_COVERAGE_CONFIDENCE) * coverage
            )
        else:
            combined, arousal, confidence = math.nan, self.centre, 0.0
        values = {f"z_{k}": v for k, v in z.items()}
        values.update(
            combined_z=combined,
            coverage=coverage,
            hr_bpm=features.hr_bpm,
            rmssd_ms=features.rmssd_ms,
            scl_us=features.scl_us,
            scr_per_min=features.scr_per_min,
        )
        return AffectEstimate(
            t=features.t_end,
            p_stress=arousal,
            arousal=arousal,
            confidence=max(0.0, min(1.0, confidence)),
            quality=features.quality,
            features=values,
            source="rules",
        )


def _z(value: float, base: float, spread: float, sign: int) -> float:
    if not (math.isfinite(value) and math.isfinite(base)) or spread <= 0:
        return math.nan
    return max(-Z_LIMIT, min(Z_LIMIT, sign * (value - base) / spread))
