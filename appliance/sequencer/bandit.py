"""Discounted linear Thompson sampling with an informative prior, in plain numpy.

Reward ≈ xᵀθ + noise, x = an arm's factor features plus context (arms.py). The prior is the
clinical default pooled with what the device's other listeners taught it; the listener's own
evidence is kept as discounted sufficient statistics (S = Σ γᵃ x xᵀ, s = Σ γᵃ r x), so old
sessions fade and a listener whose taste drifts is followed (discounted TS: Raj & Kalyani 2017;
linear TS: Agrawal & Goyal 2013). Choice probabilities are Monte-Carlo estimates from the same
posterior draws, for the audit trail and off-policy evaluation.

Evidence is within-session: a session's segments are compared with each other (features and
rewards centred on the session's means before they enter S and s). How aroused a listener
arrives, their day, and the reward's per-session scale shift every segment of a session alike;
as a fixed session effect they cancel, instead of being blamed on whatever music that session
played (a fixed-effects regression; the session is the unit of noise, not the segment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from appliance.sequencer import arms as A

NOISE_SD = 1.0  # reward noise, in the reward's own (standardised) units
PRIOR_PRECISION = 4.0  # the prior is worth about four segments per feature direction
# Draws use the posterior's spread scaled by this: a tempered posterior explores less, which
# suits a horizon of tens of sessions with a listener who should not hear too many misses.
EXPLORATION = 0.5
DISCOUNT = 0.85  # per session: evidence half-lives ~4 sessions
DEFAULT_ARM_BONUS = 0.15  # prior reward edge of the clinical default's factors: conservative
POPULATION_WEIGHT = 0.5  # how far other listeners move a new listener's prior from the clinic
PROBABILITY_DRAWS = 256
STATE_VERSION = 2  # 2: within-session evidence, discounted per session


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

    def add(self, x: np.ndarray, reward: float, discount: float = DISCOUNT) -> None:
        self.xx = discount * self.xx + np.outer(x, x)
        self.xr = discount * self.xr + reward * x
        self.n = discount * self.n + 1.0

    def discounted(self, discount: float = DISCOUNT) -> Evidence:
        return Evidence(discount * self.xx, discount * self.xr, discount * self.n)

    def plus(self, other: Evidence) -> Evidence:
        return Evidence(self.xx + other.xx, self.xr + other.xr, self.n + other.n)

    def to_state(self) -> dict[str, object]:
        return {
            "version": STATE_VERSION,
            "n_features": A.N_FEATURES,
            "xx": self.xx.round(9).tolist(),
            "xr": self.xr.round(9).tolist(),
            "n": self.n,
        }

    @classmethod
    def from_state(cls, state: dict[str, object] | None) -> Evidence:
        """Stored evidence, or none when absent or from an incompatible feature layout (a new
        layout starts the listener over from the prior rather than misreading numbers)."""
        if not state or state.get("version") != STATE_VERSION:
            return cls()
        if state.get("n_features") != A.N_FEATURES:
            return cls()
        xx = np.asarray(state["xx"], dtype=np.float64)
        xr = np.asarray(state["xr"], dtype=np.float64)
        if xx.shape != (A.N_FEATURES, A.N_FEATURES) or xr.shape != (A.N_FEATURES,):
            return cls()
        return cls(xx, xr, float(state.get("n", 0.0)))  # type: ignore[arg-type]


def population_prior_mean(others: Sequence[Evidence]) -> np.ndarray:
    """The clinical prior updated by every other listener's evidence (a pooled ridge
    estimate), then only part of the way: people differ, the clinic's default is the anchor."""
    clinical = clinical_prior_mean()
    if not others:
        return clinical
    precision = PRIOR_PRECISION * np.eye(A.N_FEATURES)
    vector = PRIOR_PRECISION * clinical
    for e in others:
        precision += e.xx / NOISE_SD**2
        vector += e.xr / NOISE_SD**2
    pooled = np.linalg.solve(precision, vector)
    return clinical + POPULATION_WEIGHT * (pooled - clinical)


class SessionEvidence:
    """One session's segments, kept raw until centred: within-session sufficient statistics
    S_w = Σ x xᵀ − n x̄ x̄ᵀ and s_w = Σ r x − n r̄ x̄."""

    def __init__(self) -> None:
        self.n = 0
        self.sx = np.zeros(A.N_FEATURES)
        self.sr = 0.0
        self.sxx = np.zeros((A.N_FEATURES, A.N_FEATURES))
        self.sxr = np.zeros(A.N_FEATURES)

    def add(self, x: np.ndarray, reward: float) -> None:
        self.n += 1
        self.sx += x
        self.sr += reward
        self.sxx += np.outer(x, x)
        self.sxr += reward * x

    def centred(self) -> Evidence:
        if self.n < 2:
            return Evidence()  # one segment compares with nothing yet
        mean_x = self.sx / self.n
        xx = self.sxx - self.n * np.outer(mean_x, mean_x)
        xr = self.sxr - self.sr * mean_x
        return Evidence(xx, xr, float(self.n))


class LinearThompson:
    def __init__(
        self, prior_mean: np.ndarray | None = None, evidence: Evidence | None = None
    ) -> None:
        self.prior_mean = clinical_prior_mean() if prior_mean is None else prior_mean
        # Earlier sessions fade by one discount step when a new session starts.
        self.earlier = (evidence or Evidence()).discounted()
        self.session = SessionEvidence()
        self.evidence = self.earlier
        self._posterior: tuple[np.ndarray, np.ndarray] | None = None  # until the next update

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, L⁻ᵀ for the Cholesky factor L of the precision P = L Lᵀ: L⁻ᵀ z has
        covariance P⁻¹)."""
        if self._posterior is None:
            self._posterior = self._solve()
        return self._posterior

    def _solve(self) -> tuple[np.ndarray, np.ndarray]:
        precision = PRIOR_PRECISION * np.eye(A.N_FEATURES) + self.evidence.xx / NOISE_SD**2
        vector = PRIOR_PRECISION * self.prior_mean + self.evidence.xr / NOISE_SD**2
        chol = np.linalg.cholesky(precision)
        mean = np.linalg.solve(precision, vector)
        return mean, np.linalg.inv(chol).T

    def choose(
        self, arms: Sequence[A.Arm], context: np.ndarray, rng: np.random.Generator
    ) -> tuple[A.Arm, float, float]:
        """(arm, its choice probability, its posterior mean reward) by Thompson sampling."""
        if not arms:
            raise ValueError("no arm is allowed")
        x = A.design(list(arms), context)
        mean, spread = self.posterior()
        # θ = mean + L⁻ᵀ z has covariance P⁻¹; the first draw decides, all of them estimate
        # how often each arm would have been chosen.
        z = rng.standard_normal((A.N_FEATURES, PROBABILITY_DRAWS))
        thetas = mean[:, None] + EXPLORATION * (spread @ z)
        winners = np.argmax(x @ thetas, axis=0)
        chosen = int(winners[0])
        probability = float(np.mean(winners == chosen))
        return arms[chosen], probability, float(x[chosen] @ mean)

    def best(self, arms: Sequence[A.Arm], context: np.ndarray) -> A.Arm:
        """The arm with the highest posterior mean: no exploration."""
        x = A.design(list(arms), context)
        mean, _ = self.posterior()
        return arms[int(np.argmax(x @ mean))]

    def update(self, arm: A.Arm, context: np.ndarray, reward: float) -> None:
        """One segment of the current session; the evidence is the earlier sessions' plus this
        session's centred statistics (what gets persisted)."""
        self.session.add(A.design([arm], context)[0], float(reward))
        self.evidence = self.earlier.plus(self.session.centred())
        self._posterior = None
