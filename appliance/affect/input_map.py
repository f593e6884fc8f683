"""The model's input map: each feature through its training quantiles onto normal scores.

Physiological deviations are heavy-tailed (a burst of skin responses, a motion-corrupted heart
rate) and the int8 model has one input scale for all features. A mean/SD standardisation lets
the tails set that scale and squeezes the bulk of every feature into a few int8 steps; mapping
each feature through its own training quantiles keeps the bulk spread out and the tails
bounded. The map is monotone and piecewise linear, so it keeps the order of values; values
outside the training range land on the end scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

N_LEVELS = 33  # quantile levels per feature
LEVEL_LIMIT = 0.002  # the outermost levels, so scores stay within about ±2.9


def normal_scores(levels: np.ndarray) -> np.ndarray:
    """The standard normal quantile of each level in (0, 1) (scipy.special.ndtri): the
    standard library's, one call per knot, since a map has only a few hundred."""
    levels = np.asarray(levels, dtype=np.float64)
    quantile = NormalDist().inv_cdf
    return np.array([quantile(p) for p in levels.ravel().tolist()]).reshape(levels.shape)


@dataclass(frozen=True)
class QuantileMap:
    knots: np.ndarray  # (n_features, n_levels) non-decreasing input values per feature
    scores: np.ndarray  # (n_features, n_levels) the normal score at each knot

    @classmethod
    def fit(cls, x: np.ndarray, n_levels: int = N_LEVELS) -> QuantileMap:
        """Knots at evenly spaced quantiles of each column of `x`. Where many values tie (a
        feature that is often exactly 0), the tied knots share the mean of their levels, so a
        tie maps to one score in the middle of its mass rather than to one end of it."""
        x = np.asarray(x, dtype=np.float64)
        levels = np.linspace(LEVEL_LIMIT, 1.0 - LEVEL_LIMIT, n_levels)
        knots = np.quantile(x, levels, axis=0).T
        scores = np.empty_like(knots)
        for f, row in enumerate(knots):
            _, first, counts = np.unique(row, return_index=True, return_counts=True)
            for start, count in zip(first, counts, strict=True):
                scores[f, start : start + count] = levels[start : start + count].mean()
        return cls(knots=knots.astype(np.float32), scores=normal_scores(scores).astype(np.float32))

    @classmethod
    def from_lists(cls, knots: list, scores: list) -> QuantileMap:
        k = np.asarray(knots, dtype=np.float32)
        s = np.asarray(scores, dtype=np.float32)
        if k.ndim != 2 or k.shape != s.shape or k.shape[1] < 2:
            raise ValueError(f"knots {k.shape} and scores {s.shape} must be equal (n, ≥2) tables")
        if np.any(np.diff(k, axis=1) < 0) or np.any(np.diff(s, axis=1) < 0):
            raise ValueError("knots and scores must be non-decreasing along each feature")
        return cls(knots=k, scores=s)

    def as_lists(self) -> dict:
        return {
            "kind": "quantile-normal",
            "knots": np.round(self.knots, 6).tolist(),
            "scores": np.round(self.scores, 6).tolist(),
        }

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Map rows of raw features (n, n_features) or one vector to normal scores, float32."""
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        rows = np.atleast_2d(x)
        k, s = self.knots, self.scores
        # Per feature, the segment [j-1, j] with knots[j-1] <= x < knots[j]; vectorised over
        # features (a Python loop of np.interp would cost ~1 µs per feature).
        j = np.clip((k[None, :, :] <= rows[:, :, None]).sum(axis=2), 1, k.shape[1] - 1)
        f = np.arange(k.shape[0])[None, :]
        k0, k1, s0, s1 = k[f, j - 1], k[f, j], s[f, j - 1], s[f, j]
        width = k1 - k0
        frac = np.where(width > 0, (rows - k0) / np.where(width > 0, width, 1.0), 0.5)
        z = s0 + np.clip(frac, 0.0, 1.0) * (s1 - s0)
        return (z[0] if single else z).astype(np.float32)
