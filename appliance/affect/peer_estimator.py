"""The shipped estimator: a logistic regression on four deviations from the calibration.

Cross-study evaluation (docs/model.md, round 10) found this transparent model, trained on
Stress-Predict, at least as good as the network on a study neither was trained on (balanced
accuracy 0.656 vs 0.628 one way, 0.630 vs 0.531 the other), so the device runs it; the network
stays the candidate that has to beat it. Its inputs are the "now" columns of the network's
input vector (HR change, ln RMSSD ratio, ln SCL ratio, SCR rate change against the calibration
medians), so both read the same windows the same way; `models/peer.py` fits it and writes
`models/peer.json`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.affect.drift import DriftMonitor, DriftStatus
from appliance.affect.estimate import AffectEstimate
from appliance.affect.model_features import FEATURE_NAMES, ContextFeatures, FeatureBaseline
from appliance.affect.model_runtime import ModelUnavailable
from appliance.affect.trained import trained_estimate
from appliance.signals.features import WindowFeatures

DEFAULT_PEER_PATH = Path(__file__).resolve().parents[2] / "models" / "peer.json"
CHECKSUM_KEY = "parameters_sha256"


def parameters_sha256(d: dict) -> str:
    """SHA-256 of everything in a peer.json but the checksum itself, as canonical JSON (sorted
    keys, the numbers as parsed): a changed coefficient in a file that still parses would
    otherwise load and answer differently without a trace."""
    rest = {k: v for k, v in d.items() if k != CHECKSUM_KEY}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PeerSpec:
    """The fitted regression, read from peer.json."""

    inputs: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    intercept: float
    coefficients: np.ndarray
    path: Path
    window_s: float | None = None  # the analysis window it was fitted on

    @classmethod
    def load(cls, path: Path = DEFAULT_PEER_PATH) -> PeerSpec:
        try:
            d = json.loads(Path(path).read_text())
            inputs = tuple(d["inputs"])
            spec = cls(
                inputs=inputs,
                mean=np.asarray(d["mean"], dtype=float),
                scale=np.asarray(d["scale"], dtype=float),
                intercept=float(d["intercept"]),
                coefficients=np.asarray(d["coefficients"], dtype=float),
                path=Path(path),
                window_s=d.get("training", {}).get("window_s"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailable(f"{path}: {exc}") from exc
        unknown = [n for n in inputs if n not in FEATURE_NAMES]
        sizes = {len(inputs), len(spec.mean), len(spec.scale), len(spec.coefficients)}
        if unknown or len(sizes) != 1 or not np.all(spec.scale > 0):
            raise ModelUnavailable(
                f"{path} does not fit the pipeline (unknown inputs {unknown}, sizes {sizes}): "
                "refit it with `python -m models.peer`"
            )
        if d.get(CHECKSUM_KEY) != parameters_sha256(d):
            why = "records no" if CHECKSUM_KEY not in d else "does not match its"
            raise ModelUnavailable(
                f"{path} is corrupted or edited: its content {why} {CHECKSUM_KEY}; "
                "reinstall it or refit it with `python -m models.peer`"
            )
        return spec

    def check_session_fit(self, window_s: float) -> None:
        """Refuse a session whose analysis window differs from the one it was fitted on."""
        if self.window_s is not None and abs(window_s - self.window_s) > 1e-6:
            raise ModelUnavailable(
                f"the estimator was fitted on {self.window_s:g} s analysis windows and "
                f"session.window_s is {window_s:g} s; set it back to {self.window_s:g}"
            )

    @property
    def columns(self) -> list[int]:
        return [FEATURE_NAMES.index(n) for n in self.inputs]


class PeerEstimator:
    def __init__(self, spec: PeerSpec, calibration_windows: list[WindowFeatures]) -> None:
        self.spec = spec
        self._columns = spec.columns
        self._context = ContextFeatures(FeatureBaseline.from_windows(calibration_windows))
        for w in calibration_windows:
            self._context.push(w)
        self.drift = DriftMonitor(spec.inputs)
        self.drift_status = DriftStatus(False, 0, None, 0.0, 0.0)

    def estimate(self, features: WindowFeatures) -> AffectEstimate:
        x = self._context.push(features)[self._columns].astype(float)
        z = (x - self.spec.mean) / self.spec.scale
        logit = self.spec.intercept + float(z @ self.spec.coefficients)
        p = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, logit))))
        self.drift_status = self.drift.update(z)
        inputs = {name: float(v) for name, v in zip(self.spec.inputs, x, strict=True)}
        # Its decision threshold, 0.5, is the shared neutral centre: arousal is P(stress).
        return trained_estimate(features, p, p, inputs, self.drift_status, "peer")

    def drift_report(self) -> dict[str, object]:
        return {**self.drift_status.as_dict(), "ever_drifted": self.drift.ever_drifted}
