"""What a trained estimator (the network or the peer) makes of its P(stress) for one window."""

from __future__ import annotations

import math

from appliance.affect.drift import DriftStatus
from appliance.affect.estimate import AffectEstimate
from appliance.signals.features import WindowFeatures

MIN_CERTAINTY = 0.5  # confidence multiplier at P(stress) = 0.5
DRIFT_CONFIDENCE_FACTOR = 0.5  # inputs unlike the training data: trust the answer less


def trained_estimate(
    window: WindowFeatures,
    p_stress: float,
    arousal: float,
    inputs: dict[str, float],
    drift: DriftStatus,
    source: str,
) -> AffectEstimate:
    """Confidence is the window's signal quality times how decided the model is, halved while
    its inputs drift; the inputs and the drift verdict go with the estimate for the record."""
    certainty = MIN_CERTAINTY + (1 - MIN_CERTAINTY) * abs(2 * p_stress - 1)
    confidence = window.quality * certainty
    if drift.drifting:
        confidence *= DRIFT_CONFIDENCE_FACTOR
    values = dict(inputs)
    values.update(
        drift=1.0 if drift.drifting else 0.0,
        drift_worst_z=drift.worst_mean_z,
        hr_bpm=window.hr_bpm,
        scl_us=window.scl_us,
    )
    return AffectEstimate(
        t=window.t_end,
        p_stress=p_stress,
        arousal=arousal,
        confidence=max(0.0, min(1.0, confidence)) if math.isfinite(confidence) else 0.0,
        quality=window.quality,
        features=values,
        source=source,
    )
