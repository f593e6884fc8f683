"""The input map's normal scores against scipy.special.ndtri."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from appliance.affect.input_map import LEVEL_LIMIT, QuantileMap, normal_scores


def test_normal_scores_equal_ndtri() -> None:
    rng = np.random.default_rng(3)
    levels = np.concatenate([rng.uniform(1e-9, 1.0 - 1e-9, 500), [LEVEL_LIMIT, 0.5, 0.999]])
    np.testing.assert_allclose(normal_scores(levels), ndtri(levels), rtol=1e-13, atol=1e-15)
    grid = levels[:498].reshape(6, 83)
    np.testing.assert_allclose(normal_scores(grid), ndtri(grid), rtol=1e-13, atol=1e-15)


def test_fitted_map_scores_equal_ndtri_of_levels() -> None:
    x = np.random.default_rng(4).normal(size=(400, 3))
    x[:150, 1] = 0.0  # a feature often exactly zero: tied knots share a level
    fitted = QuantileMap.fit(x)
    levels = np.linspace(LEVEL_LIMIT, 1.0 - LEVEL_LIMIT, fitted.knots.shape[1])
    assert fitted.scores.dtype == np.float32
    np.testing.assert_allclose(fitted.scores[0], ndtri(levels).astype(np.float32), rtol=1e-6)
    assert np.all(np.diff(fitted.scores[1]) >= 0)
