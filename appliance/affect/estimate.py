"""The AffectEstimate seam: what the sequencer learns about the listener's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from appliance.vocabulary import USABLE_QUALITY

if TYPE_CHECKING:
    from appliance.signals.features import WindowFeatures

# Arousal cut-offs shared by every estimator (rule or model): below CALM is calm, above
# STRESSED is stressed, between is neutral.
CALM_BELOW = 0.35
STRESSED_ABOVE = 0.65


@dataclass(frozen=True)
class AffectEstimate:
    t: float  # monotonic seconds at the end of the window
    p_stress: float  # 0..1
    arousal: float  # 0..1
    confidence: float  # 0..1; low quality lowers it
    quality: float  # 0..1, the window's signal quality
    features: dict[str, float] = field(default_factory=dict)
    source: str = "rules"  # "rules", "peer" (the logistic regression) or "model" (the network)

    @property
    def label(self) -> str:
        if self.arousal < CALM_BELOW:
            return "calm"
        if self.arousal > STRESSED_ABOVE:
            return "stressed"
        return "neutral"

    @property
    def usable(self) -> bool:
        """A poor window gives no model update and no bandit reward."""
        return self.quality >= USABLE_QUALITY


class Estimator(Protocol):
    """What reads a window after calibration: the model or the rules."""

    def estimate(self, features: WindowFeatures) -> AffectEstimate: ...
