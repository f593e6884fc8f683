"""Has the listener's taste changed? One session tested against what the earlier ones predict.

The earlier sessions' posterior predicts how the session's segments should compare with each
other: centred rewards y ~ N(μ, V), μ = X_w m and V = σ²I + X_w Σ X_wᵀ (the listener's
estimated noise plus the earlier estimate's own uncertainty), in the session's within-session
subspace (the session's mean is a fixed effect, evidence.py). A session's rewards come on that
day's own scale: the calibration's spread divides every reward alike, so a day scale c turns y
into c·y, mean and noise together. A test of |y − μ|² against the noise (a χ² test) reads
every day whose scale is not the typical one as a surprise. This test uses only the direction
of y, whose distribution does not depend on c:

after whitening by V (w = V^-½ y, ν = V^-½ μ), the component of w along ν over the spread of
the rest, t = (w·ν̂) / √(|w_⊥|² / (d − 1)), is a noncentral t with d − 1 degrees of freedom and
noncentrality |ν| when nothing changed (d = segments − 1); c cancels from numerator and
denominator. A changed taste turns the session's contrasts away from the predicted ones and t
falls: the one-sided p-value is the noncentral t's lower tail. Calibrated under the model
whatever the day's scale, with no constant fitted to any population of listeners.
"""

from __future__ import annotations

import math

import numpy as np

from appliance.numeric.noncentral_t import noncentral_t_cdf

MIN_PREDICTED_SIGNAL = 1e-6  # |ν| below this: the earlier evidence predicts no contrast at all


def within_session_basis(n: int) -> np.ndarray:
    """An orthonormal basis (n × n−1) of the vectors that sum to zero: centred segments."""
    spanning = np.column_stack([np.ones(n), np.eye(n)[:, : n - 1]])
    q, _ = np.linalg.qr(spanning)
    return q[:, 1:]


def change_p_value(
    features: np.ndarray,
    rewards: np.ndarray,
    mean: np.ndarray,
    covariance: np.ndarray,
    noise_var: float,
) -> float | None:
    """P(a session this far from the predicted contrasts or further | no change), for one
    session's segments (`features` n × p, `rewards` n) under the earlier posterior N(mean,
    covariance) with reward noise variance `noise_var`. None when there is nothing to test:
    too few segments, or no contrast predicted."""
    n = len(rewards)
    if n < 3:  # d − 1 ≥ 1 degree of freedom for the spread across the prediction
        return None
    basis = within_session_basis(n)
    y = basis.T @ np.asarray(rewards, dtype=np.float64)
    x = basis.T @ np.asarray(features, dtype=np.float64)
    predicted = x @ mean
    v = noise_var * np.eye(n - 1) + x @ covariance @ x.T
    factor = np.linalg.cholesky(v)
    # A general solve on the (n − 1)-square triangular factor: small enough that its
    # triangularity saves nothing worth a SciPy import.
    w = np.linalg.solve(factor, y)
    nu = np.linalg.solve(factor, predicted)
    signal = float(np.linalg.norm(nu))
    if signal < MIN_PREDICTED_SIGNAL:
        return None
    along = float(w @ nu) / signal
    across = max(float(w @ w) - along * along, 0.0)
    df = n - 2
    if across <= 0.0:
        return 1.0 if along >= 0 else 0.0  # exactly on the predicted line (or its reverse)
    t = along / math.sqrt(across / df)
    # P(T ≤ t) for a noncentral t with noncentrality |ν|, finite however far in the tail.
    return noncentral_t_cdf(t, df, signal)
