"""Discounted linear Thompson sampling with an informative prior, in plain numpy.

Reward ≈ xᵀθ + noise, x = an arm's factor features plus context (arms.py). The prior is the
clinical default pooled with what the device's other listeners taught it (evidence.py); the
listener's own evidence is kept as discounted within-session sufficient statistics, so old
sessions fade (discounted TS: Raj & Kalyani 2017; linear TS: Agrawal & Goyal 2013). The
reward's noise is estimated from the listener's residuals, so the posterior sharpens as fast
as the listener's data allow, and exploitation grows with it. Choice probabilities are
Monte-Carlo estimates from the same posterior draws, for the audit trail and off-policy
evaluation.

Forgetting is mild; a change of taste is detected instead (change.py: the session's contrasts
tested against what the earlier sessions predict, free of the day's reward scale, in the
spirit of change-detection bandits, Liu, Lee & Shroff 2018): when the current session
contradicts them, the earlier evidence is faded hard at once, rather than every listener
forgetting fast all the time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from appliance.sequencer import arms as A
from appliance.sequencer.change import change_p_value
from appliance.sequencer.evidence import (  # re-exported: the bandit's public names
    DEFAULT_ARM_BONUS,
    NOISE_SD,
    POPULATION_WEIGHT,
    PRIOR_PRECISION,
    STATE_VERSION,
    Evidence,
    SessionEvidence,
    clinical_prior_mean,
    noise_variance,
    population_prior_mean,
    ridge_mean,
)

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ARM_BONUS",
    "DISCOUNT",
    "NOISE_SD",
    "POPULATION_WEIGHT",
    "PRIOR_PRECISION",
    "STATE_VERSION",
    "Evidence",
    "LinearThompson",
    "SessionEvidence",
    "clinical_prior_mean",
    "population_prior_mean",
]

# Draws use the posterior's spread scaled by this: a tempered posterior explores less, which
# suits a horizon of tens of sessions with a listener who should not hear too many misses.
EXPLORATION = 0.5
DISCOUNT = 0.95  # per session: evidence half-life ~14 sessions; a detected change fades more
CHANGE_P = 0.01  # the session's contrasts are this unlikely under the earlier evidence…
# …judged once per session, on its first this many segments: looking again at every segment
# would test many times and raise the false-alarm rate well above CHANGE_P.
CHANGE_LOOK_SEGMENTS = 6
CHANGE_DISCOUNT = 0.25  # …then the earlier evidence keeps only this weight
OPENING_CONFIDENCE = 0.75  # the opening leaves the default only when this sure of better
PROBABILITY_DRAWS = 256


class LinearThompson:
    def __init__(
        self, prior_mean: np.ndarray | None = None, evidence: Evidence | None = None
    ) -> None:
        self.prior_mean = clinical_prior_mean() if prior_mean is None else prior_mean
        # Earlier sessions fade by one discount step when a new session starts.
        self.earlier = (evidence or Evidence()).discounted(DISCOUNT)
        self.session = SessionEvidence()
        self.evidence = self.earlier
        self.change_detected = False
        self._earlier_posterior: tuple[np.ndarray, np.ndarray, float] | None = None
        self._posterior: tuple[np.ndarray, np.ndarray, float] | None = None

    def posterior(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(mean, L⁻ᵀ for the Cholesky factor L of the precision P = L Lᵀ: L⁻ᵀ z has
        covariance P⁻¹, the noise variance)."""
        if self._posterior is None:
            self._posterior = self._solve(self.evidence)
        return self._posterior

    def _solve(self, evidence: Evidence) -> tuple[np.ndarray, np.ndarray, float]:
        variance = noise_variance(evidence, self.prior_mean)
        mean, precision = ridge_mean(evidence, self.prior_mean, variance)
        return mean, np.linalg.inv(np.linalg.cholesky(precision)).T, variance

    def choose(
        self, arms: Sequence[A.Arm], context: np.ndarray, rng: np.random.Generator
    ) -> tuple[A.Arm, float, float]:
        """(arm, its choice probability, its posterior mean reward) by Thompson sampling."""
        if not arms:
            raise ValueError("no arm is allowed")
        x = A.design(list(arms), context)
        mean, spread, _ = self.posterior()
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
        mean, _, _ = self.posterior()
        return arms[int(np.argmax(x @ mean))]

    def probability_better(self, arm: A.Arm, than: A.Arm) -> float:
        """Posterior probability that `arm` rewards more than `than` (context cancels)."""
        d = A.arm_vector(arm) - A.arm_vector(than)
        mean, spread, _ = self.posterior()
        d_full = np.zeros(A.N_FEATURES)
        d_full[: A.N_ARM_FEATURES] = d
        sd = float(np.linalg.norm(spread.T @ d_full))
        if sd <= 0:
            return 0.5
        return 0.5 * math.erfc(-(d_full @ mean) / sd / math.sqrt(2.0))

    def conservative_best(
        self, arms: Sequence[A.Arm], context: np.ndarray, default: A.Arm
    ) -> tuple[A.Arm, float]:
        """The posterior-mean best arm, but the default stays unless the best is at least
        OPENING_CONFIDENCE likely to be better (a high-confidence improvement on the clinical
        default). Returns (arm, the probability it beats the default)."""
        best = self.best(arms, context)
        if default not in arms or best == default:
            return best, 0.5
        confidence = self.probability_better(best, default)
        return (best, confidence) if confidence >= OPENING_CONFIDENCE else (default, confidence)

    def update(self, arm: A.Arm, context: np.ndarray, reward: float) -> None:
        """One segment of the current session; the evidence is the earlier sessions' plus this
        session's centred statistics (what gets persisted)."""
        self.session.add(A.design([arm], context)[0], float(reward))
        self._detect_change()
        self.evidence = self.earlier.plus(self.session.centred())
        self._posterior = None

    def update_verdict(self, arm: A.Arm, reward: float) -> None:
        """A stop or distress: an absolute verdict on the arm's music (its factors, no
        context), so it teaches even as a session's only segment."""
        x = np.zeros(A.N_FEATURES)
        x[: A.N_ARM_FEATURES] = A.arm_vector(arm)
        self.earlier.add_verdict(x, float(reward))
        self._earlier_posterior = None
        self.evidence = self.earlier.plus(self.session.centred())
        self._posterior = None

    def forget_earlier(self) -> None:
        """A change seen from outside the contrasts (own_music.py): fade the earlier evidence
        hard, as a detected change does."""
        self.change_detected = True
        self.earlier = self.earlier.discounted(CHANGE_DISCOUNT)
        self._earlier_posterior = None
        self.evidence = self.earlier.plus(self.session.centred())
        self._posterior = None

    def _detect_change(self) -> None:
        """Fade the earlier evidence hard, once, if this session's contrasts turn away from
        what the earlier posterior predicts more than its noise and uncertainty explain."""
        if self.session.n != CHANGE_LOOK_SEGMENTS or self.earlier.n <= 0:
            return
        if self._earlier_posterior is None:
            self._earlier_posterior = self._solve(self.earlier)
        mean, spread, variance = self._earlier_posterior
        p = change_p_value(
            np.array(self.session.features),
            np.array(self.session.rewards),
            mean,
            spread @ spread.T,  # Σ = P⁻¹
            variance,
        )
        if p is not None and p < CHANGE_P:
            log.info("change of taste detected (p=%.4f): earlier evidence faded", p)
            self.change_detected = True
            self.earlier = self.earlier.discounted(CHANGE_DISCOUNT)
            self._earlier_posterior = None
