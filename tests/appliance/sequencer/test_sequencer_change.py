"""The change-of-taste test: calibrated under no change whatever each day's reward scale, and
sensitive to contrasts that turn against the earlier prediction."""

from __future__ import annotations

import numpy as np

from appliance.sequencer.change import change_p_value, within_session_basis

N_SEGMENTS, N_FEATURES = 6, 4


def predictive_problem(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """An earlier posterior N(mean, covariance), the listener's noise, one session's features."""
    mean = rng.normal(0.0, 0.6, N_FEATURES)
    root = rng.normal(0.0, 0.2, (N_FEATURES, N_FEATURES))
    covariance = root @ root.T
    features = rng.integers(0, 2, (N_SEGMENTS, N_FEATURES)).astype(float)
    features[:, -1] = np.arange(1, N_SEGMENTS + 1) / N_SEGMENTS  # progress through the session
    return mean, covariance, features, np.array(rng.uniform(0.2, 1.5))


def test_the_within_session_basis_is_orthonormal_and_centred() -> None:
    basis = within_session_basis(7)
    assert basis.shape == (7, 6)
    assert np.allclose(basis.T @ basis, np.eye(6))
    assert np.allclose(basis.sum(axis=0), 0.0)


def test_the_false_alarm_rate_is_the_level_under_no_change_on_any_days_scale() -> None:
    rng = np.random.default_rng(0)
    p_values = []
    for _ in range(2000):
        mean, covariance, features, noise_var = predictive_problem(rng)
        theta = rng.multivariate_normal(mean, covariance)  # the truth, as the posterior allows
        day = np.exp(rng.normal(0.0, 0.7))  # this day's reward scale: ×0.25..×4
        offset = rng.normal(0.0, 3.0)  # and its level: a session effect, cancelled
        noise = rng.normal(0.0, np.sqrt(noise_var), N_SEGMENTS)
        rewards = day * (features @ theta + noise) + offset
        p = change_p_value(features, rewards, mean, covariance, float(noise_var))
        if p is not None:
            p_values.append(p)
    p_values = np.array(p_values)
    assert len(p_values) > 1900
    assert 0.003 <= np.mean(p_values < 0.01) <= 0.02
    assert 0.08 <= np.mean(p_values < 0.1) <= 0.12
    assert 0.46 <= np.mean(p_values < 0.5) <= 0.54  # uniform: calibrated across the range


def test_the_days_scale_and_level_do_not_change_the_verdict() -> None:
    rng = np.random.default_rng(1)
    mean, covariance, features, noise_var = predictive_problem(rng)
    rewards = features @ mean + rng.normal(0.0, 1.0, N_SEGMENTS)
    p = change_p_value(features, rewards, mean, covariance, float(noise_var))
    for day, offset in ((0.3, 0.0), (3.0, -2.0), (1.7, 5.0)):
        scaled = change_p_value(features, day * rewards + offset, mean, covariance, noise_var)
        assert scaled is not None and p is not None
        assert abs(scaled - p) < 1e-9


def test_reversed_contrasts_are_a_change() -> None:
    features = np.array([[1, 0, 0.2], [0, 1, 0.4], [1, 0, 0.6], [0, 1, 0.8], [1, 0, 1.0],
                         [0, 1, 1.2]])  # fmt: skip
    mean = np.array([1.0, -1.0, 0.0])  # the first music clearly better
    covariance = 0.01 * np.eye(3)
    rng = np.random.default_rng(2)
    noise = rng.normal(0.0, 0.2, 6)
    as_before = change_p_value(features, features @ mean + noise, mean, covariance, 0.04)
    reversed_ = change_p_value(features, -(features @ mean) + noise, mean, covariance, 0.04)
    assert as_before is not None and as_before > 0.1
    assert reversed_ is not None and reversed_ < 0.01


def test_nothing_to_test_without_a_prediction_or_enough_segments() -> None:
    features = np.ones((6, 3))  # every segment alike: no contrast predicted
    assert change_p_value(features, np.arange(6.0), np.ones(3), np.eye(3), 1.0) is None
    two = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert change_p_value(two, np.array([1.0, 0.0]), np.ones(2), np.eye(2), 1.0) is None
