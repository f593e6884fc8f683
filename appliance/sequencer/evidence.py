"""What the bandit has learned about one listener: discounted sufficient statistics.

Evidence is within-session: a session's segments are compared with each other (features and
rewards centred on the session's means before they enter S and s). How aroused a listener
arrives, their day, and the reward's per-session scale shift every segment of a session alike;
as a fixed session effect they cancel, instead of being blamed on whatever music that session
played (a fixed-effects regression; the session is the unit of noise, not the segment).

Besides S = Σ x xᵀ and s = Σ r x the evidence keeps Σ r² and the residual degrees of freedom,
so the reward's noise is estimated from the listener's own residuals (noise_variance) instead
of assumed. A stop or distress is kept as an absolute verdict on the music (add_verdict), not a
comparison within the session: a stop in a session's first segment teaches too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from appliance.sequencer import arms as A

NOISE_SD = 1.0  # the prior guess of the reward's noise, in its own (standardised) units
NOISE_PRIOR_DOF = 8.0  # …worth about one session's residuals
NOISE_SD_FLOOR = 0.1  # never believe the rewards almost exact
PRIOR_PRECISION = 4.0  # prior sd 0.5 reward units per feature: arm effects are believed modest
DEFAULT_ARM_BONUS = 0.15  # prior reward edge of the clinical default's factors: conservative
POPULATION_WEIGHT = 0.5  # how far other listeners move a new listener's prior from the clinic
# 3: + session progress feature, residual sum of squares and dof (noise); 4: + the personal
# track families' factors (arms.TRACK_FAMILIES)
STATE_VERSION = 4
READABLE_VERSIONS = (2, 3, 4)  # older layouts are read with empty rows for what they lacked
V3_FEATURES = A.N_FEATURES - len(A.TRACK_FAMILIES)
V3_ARM_FEATURES = A.N_ARM_FEATURES - len(A.TRACK_FAMILIES)
V2_FEATURES = V3_FEATURES - 1


def clinical_prior_mean() -> np.ndarray:
    """The rules' clinical default is believed a little better than anything untried."""
    mean = np.zeros(A.N_FEATURES)
    mean[: A.N_ARM_FEATURES] = A.arm_vector(A.DEFAULT_ARM) * DEFAULT_ARM_BONUS / 3.0
    return mean


@dataclass
class Evidence:
    """One listener's discounted sufficient statistics: what gets persisted."""

    xx: np.ndarray = field(default_factory=lambda: np.zeros((A.N_FEATURES, A.N_FEATURES)))
    xr: np.ndarray = field(default_factory=lambda: np.zeros(A.N_FEATURES))
    n: float = 0.0  # discounted number of observations
    rr: float = 0.0  # discounted Σ r² (within-session: centred)
    dof: float = 0.0  # discounted residual degrees of freedom (observations − sessions)

    def add(self, x: np.ndarray, reward: float, discount: float = 1.0) -> None:
        """One uncentred observation (after fading what was there by `discount`)."""
        self.xx = discount * self.xx + np.outer(x, x)
        self.xr = discount * self.xr + reward * x
        self.n = discount * self.n + 1.0
        self.rr = discount * self.rr + reward * reward
        self.dof = discount * self.dof + 1.0

    def add_verdict(self, x: np.ndarray, reward: float) -> None:
        """A button verdict (stop, distress): evidence about the music, not about the reward's
        physiological noise, so it leaves the residual record alone."""
        self.xx = self.xx + np.outer(x, x)
        self.xr = self.xr + reward * x
        self.n += 1.0

    def discounted(self, discount: float) -> Evidence:
        return Evidence(
            discount * self.xx,
            discount * self.xr,
            discount * self.n,
            discount * self.rr,
            discount * self.dof,
        )

    def plus(self, other: Evidence) -> Evidence:
        return Evidence(
            self.xx + other.xx,
            self.xr + other.xr,
            self.n + other.n,
            self.rr + other.rr,
            self.dof + other.dof,
        )

    def to_state(self) -> dict[str, object]:
        return {
            "version": STATE_VERSION,
            "n_features": A.N_FEATURES,
            "xx": self.xx.round(9).tolist(),
            "xr": self.xr.round(9).tolist(),
            "n": self.n,
            "rr": round(self.rr, 9),
            "dof": round(self.dof, 9),
        }

    @classmethod
    def from_state(cls, state: dict[str, object] | None) -> Evidence:
        """Stored evidence, or none when absent or from an incompatible feature layout (a new
        layout starts the listener over from the prior rather than misreading numbers)."""
        if not state or state.get("version") not in READABLE_VERSIONS:
            return cls()
        xx = np.asarray(state.get("xx", []), dtype=np.float64)
        xr = np.asarray(state.get("xr", []), dtype=np.float64)
        version, n_features = state.get("version"), state.get("n_features")
        if version == 2 and n_features == V2_FEATURES and xx.shape == (V2_FEATURES,) * 2:
            # Version 2 had no session-progress feature: its observations say nothing about
            # it (an empty row and column), everything else they taught is kept.
            xx, xr = np.pad(xx, ((0, 1), (0, 1))), np.pad(xr, (0, 1))
            version, n_features = 3, V3_FEATURES
        if version == 3 and n_features == V3_FEATURES and xx.shape == (V3_FEATURES,) * 2:
            # Nor had version 3 the track families' factors (the last arm features).
            at = [V3_ARM_FEATURES] * len(A.TRACK_FAMILIES)
            xx = np.insert(np.insert(xx, at, 0.0, axis=0), at, 0.0, axis=1)
            xr = np.insert(xr, at, 0.0)
        elif n_features != A.N_FEATURES:
            return cls()
        if xx.shape != (A.N_FEATURES, A.N_FEATURES) or xr.shape != (A.N_FEATURES,):
            return cls()
        n = float(state.get("n", 0.0))  # type: ignore[arg-type]
        rr = float(state.get("rr", 0.0))  # type: ignore[arg-type]
        dof = float(state.get("dof", 0.0))  # type: ignore[arg-type]
        return cls(xx, xr, n, rr, dof)


class SessionEvidence:
    """One session's segments, kept raw until centred: within-session sufficient statistics
    S_w = Σ x xᵀ − n x̄ x̄ᵀ, s_w = Σ r x − n r̄ x̄ and Σ r² − n r̄²."""

    def __init__(self) -> None:
        self.n = 0
        self.sx = np.zeros(A.N_FEATURES)
        self.sr = 0.0
        self.sxx = np.zeros((A.N_FEATURES, A.N_FEATURES))
        self.sxr = np.zeros(A.N_FEATURES)
        self.srr = 0.0
        # The segments themselves too (a few per session): the change test needs each one.
        self.features: list[np.ndarray] = []
        self.rewards: list[float] = []

    def add(self, x: np.ndarray, reward: float) -> None:
        self.n += 1
        self.features.append(np.asarray(x, dtype=np.float64))
        self.rewards.append(float(reward))
        self.sx += x
        self.sr += reward
        self.sxx += np.outer(x, x)
        self.sxr += reward * x
        self.srr += reward * reward

    def centred(self) -> Evidence:
        if self.n < 2:
            return Evidence()  # one segment compares with nothing yet
        mean_x = self.sx / self.n
        xx = self.sxx - self.n * np.outer(mean_x, mean_x)
        xr = self.sxr - self.sr * mean_x
        rr = max(self.srr - self.sr * self.sr / self.n, 0.0)
        return Evidence(xx, xr, float(self.n), rr, float(self.n - 1))


def ridge_mean(
    evidence: Evidence, prior_mean: np.ndarray, noise_var: float
) -> tuple[np.ndarray, np.ndarray]:
    """(posterior mean, posterior precision) of θ for a given reward noise variance."""
    precision = PRIOR_PRECISION * np.eye(A.N_FEATURES) + evidence.xx / noise_var
    vector = PRIOR_PRECISION * prior_mean + evidence.xr / noise_var
    return np.linalg.solve(precision, vector), precision


def noise_variance(evidence: Evidence, prior_mean: np.ndarray) -> float:
    """The reward's noise variance: the prior guess pooled with the residuals at the posterior
    mean (conjugate inverse-gamma shrinkage, two fixed-point steps: the mean depends on it)."""
    variance = NOISE_SD**2
    if evidence.dof <= 0:
        return variance
    for _ in range(2):
        mean, _ = ridge_mean(evidence, prior_mean, variance)
        residual = evidence.rr - 2.0 * mean @ evidence.xr + mean @ evidence.xx @ mean
        pooled = NOISE_PRIOR_DOF * NOISE_SD**2 + max(float(residual), 0.0)
        variance = max(pooled / (NOISE_PRIOR_DOF + evidence.dof), NOISE_SD_FLOOR**2)
    return variance


def population_prior_mean(others: Sequence[Evidence]) -> np.ndarray:
    """The clinical prior updated by every other listener's evidence (a pooled ridge estimate,
    each listener weighted by their own reward noise), then only part of the way: people
    differ, the clinic's default is the anchor."""
    clinical = clinical_prior_mean()
    if not others:
        return clinical
    precision = PRIOR_PRECISION * np.eye(A.N_FEATURES)
    vector = PRIOR_PRECISION * clinical
    for e in others:
        variance = noise_variance(e, clinical)
        precision += e.xx / variance
        vector += e.xr / variance
    pooled = np.linalg.solve(precision, vector)
    return clinical + POPULATION_WEIGHT * (pooled - clinical)
