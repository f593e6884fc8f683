"""Drift: are the live model inputs still like the ones the model was trained on?

Running statistics (exponentially weighted mean and variance, Welford-style updates, so memory
is constant) of every input feature, compared with the training distribution in standard
units. A session flags drift when a feature's running mean sits more than MEAN_LIMIT training
SDs away, or when the share of recent windows with an input beyond OUTLIER_Z leaves the
training share far behind: a new sensor, a loose electrode or a listener unlike anyone in the
training data. The model still runs; its confidence is lowered and the session record says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

HALF_LIFE_WINDOWS = 24.0  # about 2 minutes of windows at one per 5 s
MIN_WINDOWS = 12  # no verdict before this many windows
MEAN_LIMIT = 1.5  # training SDs between the running and the training mean
OUTLIER_Z = 4.0  # a standardised input beyond this is an outlier
OUTLIER_SHARE_LIMIT = 0.25  # running share of windows with any outlier input


@dataclass(frozen=True)
class DriftStatus:
    drifting: bool
    n_windows: int
    worst_feature: str | None
    worst_mean_z: float
    outlier_share: float

    def as_dict(self) -> dict[str, object]:
        return {
            "drifting": self.drifting,
            "n_windows": self.n_windows,
            "worst_feature": self.worst_feature,
            "worst_mean_z": round(self.worst_mean_z, 3),
            "outlier_share": round(self.outlier_share, 3),
        }


class DriftMonitor:
    """Feed standardised model inputs (training mean 0, SD 1) one window at a time."""

    def __init__(self, feature_names: tuple[str, ...], half_life: float = HALF_LIFE_WINDOWS):
        self.names = tuple(feature_names)
        self._warned: set[str] = set()  # inputs already named in a warning
        self._alpha = 1.0 - 0.5 ** (1.0 / half_life)
        self._mean = np.zeros(len(self.names))
        self._var = np.zeros(len(self.names))
        self._outliers = 0.0
        self.n = 0
        self.ever_drifted = False

    def update(self, z: np.ndarray) -> DriftStatus:
        z = np.asarray(z, dtype=np.float64).reshape(-1)
        self.n += 1
        # The first windows set the statistics outright, later ones decay in.
        a = max(self._alpha, 1.0 / self.n)
        delta = z - self._mean
        self._mean += a * delta
        self._var = (1 - a) * (self._var + a * delta * delta)
        self._outliers += a * (float(np.any(np.abs(z) > OUTLIER_Z)) - self._outliers)
        status = self.status()
        worst = status.worst_feature
        if status.drifting and worst is not None and worst not in self._warned:
            self._warned.add(worst)  # once per input and session, not every window
            log.warning(
                "model inputs have left the training distribution (%s at %.1f SD)",
                worst,
                status.worst_mean_z,
            )
        return status

    def status(self) -> DriftStatus:
        if self.n == 0:
            return DriftStatus(False, 0, None, 0.0, 0.0)
        i = int(np.argmax(np.abs(self._mean)))
        worst = float(abs(self._mean[i]))
        drifting = self.n >= MIN_WINDOWS and (
            worst > MEAN_LIMIT or self._outliers > OUTLIER_SHARE_LIMIT
        )
        self.ever_drifted |= drifting
        return DriftStatus(drifting, self.n, self.names[i], worst, self._outliers)
