"""One session's reading of the listener: calibration → baseline → estimator → drift.

The calibration minutes set the listener's own baseline (and the absolute arousal guess the
iso entry needs); from then on an estimator reads every window; the first time the model's
inputs leave its training distribution is noted for the record. The session asks for the
estimate and takes the notes; it does not need to know which estimator is behind them.
"""

from __future__ import annotations

import json
import math

from appliance.affect.baseline import Baseline
from appliance.affect.estimate import AffectEstimate, Estimator
from appliance.affect.model_estimator import EstimatorSource, ModelEstimator
from appliance.affect.peer_estimator import PeerEstimator
from appliance.affect.personal import PersonalReference, calibration_of
from appliance.affect.priors import entry_arousal, resting_norm
from appliance.signals.features import WindowFeatures


class AffectTracker:
    def __init__(
        self,
        source: EstimatorSource,
        *,
        calibration_s: float,
        window_s: float,
        age_band: str | None = None,
        reference: PersonalReference | None = None,
    ) -> None:
        self.source = source
        self.age_band = age_band  # the resting norms the entry estimate is read against
        # The listener's earlier calibrations (None or empty: the age band's norm alone).
        self.reference = reference
        self.calibration_s = calibration_s
        self.window_s = window_s
        self.baseline: Baseline | None = None
        self.baseline_arousal: float | None = None  # the entry estimate (priors.py)
        self.estimator: Estimator | None = None
        self.latest: AffectEstimate | None = None  # the latest usable estimate
        self.drift_flagged = False
        self._calibration: list[WindowFeatures] = []
        self._notes: list[tuple[str, str]] = []
        # Loaded now, at the session's start, not when calibration ends: a first load
        # mid-session would hold up the loop that feeds the audio.
        source.load()

    def update(self, features: WindowFeatures, elapsed_s: float) -> AffectEstimate | None:
        """The window's estimate; None while the calibration minutes are still running."""
        if elapsed_s < self.calibration_s:
            self._calibration.append(features)
            return None
        if self.estimator is None:
            self._begin()
        assert self.estimator is not None
        estimate = self.estimator.estimate(features)
        if not self.drift_flagged and estimate.features.get("drift") == 1.0:
            # Live inputs left the model's training distribution: say so in the record.
            self.drift_flagged = True
            if isinstance(self.estimator, ModelEstimator | PeerEstimator):  # trained ones drift
                report = self.estimator.drift_report()
                self._notes.append(("model_drift", json.dumps(report, default=str)))
        if estimate.usable:
            self.latest = estimate
        return estimate

    def _begin(self) -> None:
        self.baseline = Baseline.from_windows(self._calibration)
        norm = resting_norm(self.age_band)
        if self.reference is not None:
            norm = self.reference.norm(norm)
        self.baseline_arousal = entry_arousal(self.baseline, norm=norm)
        self.estimator, why_rules = self.source.estimator(
            self._calibration, window_s=self.window_s, calibration_s=self.calibration_s
        )
        self._notes.append(("baseline", self.baseline.describe()))
        if why_rules:
            self._notes.append(("affect_rules", why_rules))
        elif self.source.peer_set_aside:
            self._notes.append(("affect_peer_refused", self.source.peer_set_aside))

    @property
    def reference_sessions(self) -> int:
        """How many earlier sessions of the listener the entry was read against (0: the
        population norm)."""
        return 0 if self.reference is None else self.reference.sessions

    def calibration_record(self) -> dict[str, float | int | None] | None:
        """This session's calibration, for the summary: a later session's reference."""
        if self.baseline is None:
            return None
        return calibration_of(self.baseline, self._calibration).record()

    def take_notes(self) -> list[tuple[str, str]]:
        """(kind, detail) events for the session record since the last call."""
        notes, self._notes = self._notes, []
        return notes

    def baseline_hr(self) -> float | None:
        b = self.baseline
        return None if b is None or math.isnan(b.hr_bpm) else b.hr_bpm
