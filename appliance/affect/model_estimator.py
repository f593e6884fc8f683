"""The model-based estimator, and the factory that falls back to the rules.

Same interface as RuleEstimator: `estimate(features) -> AffectEstimate`. It keeps the session's
recent windows for temporal context (the calibration windows first, exactly as in training).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from appliance.affect.baseline import Baseline
from appliance.affect.drift import DriftMonitor, DriftStatus
from appliance.affect.estimate import AffectEstimate
from appliance.affect.model_features import FEATURE_NAMES, ContextFeatures, FeatureBaseline
from appliance.affect.model_runtime import (
    AffectModel,
    ModelUnavailable,
    arousal_from_p_stress,
    check_session_fit,
)
from appliance.affect.peer_estimator import DEFAULT_PEER_PATH, PeerEstimator, PeerSpec
from appliance.affect.rules import RuleEstimator
from appliance.affect.trained import trained_estimate
from appliance.signals.features import WindowFeatures

log = logging.getLogger(__name__)


class ModelEstimator:
    def __init__(self, model: AffectModel, calibration_windows: list[WindowFeatures]) -> None:
        self.model = model
        self.baseline = FeatureBaseline.from_windows(calibration_windows)
        self._context = ContextFeatures(self.baseline)
        for w in calibration_windows:
            self._context.push(w)
        self.drift = DriftMonitor(FEATURE_NAMES)
        self.drift_status = DriftStatus(False, 0, None, 0.0, 0.0)

    def estimate(self, features: WindowFeatures) -> AffectEstimate:
        x = self._context.push(features)
        p = float(self.model.predict(x)[0])
        self.drift_status = self.drift.update(self.model.standardise(x))
        spec = self.model.spec
        arousal = arousal_from_p_stress(p, spec.calm_below, spec.stressed_above)
        inputs = {name: float(v) for name, v in zip(FEATURE_NAMES, x, strict=True)}
        return trained_estimate(features, p, arousal, inputs, self.drift_status, "model")

    def drift_report(self) -> dict[str, object]:
        """For the session record: the latest drift verdict and whether it ever fired."""
        return {**self.drift_status.as_dict(), "ever_drifted": self.drift.ever_drifted}


class EstimatorSource:
    """Each session's estimator: the shipped one when it loads and suits the session, else the
    rules. The shipped estimator is the transparent peer (peer.json) where it is installed, as
    it beat the network across studies (docs/model.md, round 10), else the network. It is
    loaded once, on the first session that asks, and shared by every later session (an
    estimator's own state, its temporal context and drift, is per session)."""

    def __init__(
        self, model_path: Path | None = None, peer_path: Path | None = DEFAULT_PEER_PATH
    ) -> None:
        self.model_path = model_path
        self.peer_path = peer_path  # None: the network only
        self._loaded: AffectModel | PeerSpec | None = None
        self._why_not: str | None = None
        # Why the peer was refused when the network took its place (for the session record).
        self.peer_set_aside: str | None = None
        self._lock = threading.Lock()  # the service warms it up while a session may start

    def load(self) -> AffectModel | PeerSpec | None:
        """The shipped estimator's parameters, loaded on the first call; None (with `why_not`
        set) when they cannot be."""
        with self._lock:
            if self._loaded is None and self._why_not is None:
                self._loaded, self._why_not = self._load()
            return self._loaded

    def _load(self) -> tuple[AffectModel | PeerSpec | None, str | None]:
        if self.peer_path is not None:
            try:
                peer = PeerSpec.load(self.peer_path)
                log.info("affect estimator: the logistic peer %s", peer.path)
                return peer, None
            except ModelUnavailable as exc:
                log.warning("the logistic peer is not used: %s", exc)
                self.peer_set_aside = str(exc)
        try:
            model = AffectModel(self.model_path)
        except ModelUnavailable as exc:
            return None, str(exc)
        log.info("affect model %s loaded (%d features)", model.path, len(FEATURE_NAMES))
        return model, None

    def estimator(
        self,
        calibration_windows: list[WindowFeatures],
        *,
        window_s: float | None = None,
        calibration_s: float | None = None,
    ) -> tuple[ModelEstimator | PeerEstimator | RuleEstimator, str | None]:
        """(the shipped estimator, None) when it loads and suits the session's analysis window
        (when given), else (the RuleEstimator, why not), the reason also logged."""
        loaded = self.load()
        why = self._why_not
        if loaded is not None and window_s is not None:
            try:
                if isinstance(loaded, PeerSpec):
                    loaded.check_session_fit(window_s)
                else:
                    check_session_fit(loaded.spec, window_s)
            except ModelUnavailable as exc:
                loaded, why = None, str(exc)
        if loaded is None:
            log.warning("affect model not used, falling back to the rule estimate: %s", why)
            return RuleEstimator(Baseline.from_windows(calibration_windows)), why
        if isinstance(loaded, PeerSpec):
            return PeerEstimator(loaded, calibration_windows), None
        if calibration_s is not None and calibration_s + 1e-6 < loaded.spec.calibration_s:
            # Still usable (the baseline is a median of fewer windows), but noisier than evaluated.
            log.warning(
                "this session calibrates for %g s, the affect model was evaluated with %g s: "
                "its baseline is noisier than measured (session.calibration_min)",
                calibration_s,
                loaded.spec.calibration_s,
            )
        return ModelEstimator(loaded, calibration_windows), None


def make_estimator(
    calibration_windows: list[WindowFeatures],
    model_path: Path | None = None,
    *,
    window_s: float | None = None,
    calibration_s: float | None = None,
) -> tuple[ModelEstimator | RuleEstimator, str | None]:
    """The network's estimator (or the rules) from a fresh source: tests and analyses of the
    network itself."""
    return EstimatorSource(model_path, peer_path=None).estimator(
        calibration_windows, window_s=window_s, calibration_s=calibration_s
    )
