"""Closed loop without hardware: virtual listener → features → rule estimate → sequencer.

Features come straight from the listener's beats and conductance (the signal pipeline is
tested elsewhere); this checks that the three parts agree with each other.
"""

from __future__ import annotations

import numpy as np

from appliance.affect.baseline import Baseline
from appliance.affect.priors import entry_arousal
from appliance.affect.rules import RuleEstimator
from appliance.sequencer.decision import Decision, SequencerState
from appliance.sequencer.rules import RuleSequencer
from appliance.signals.features import WindowFeatures
from appliance.simulate.listener import VirtualListener, demo_listener

WINDOW_S = 60.0
STEP_S = 10.0


def _features(listener: VirtualListener, t_end: float) -> WindowFeatures:
    beats = listener.beat_times_between(t_end - WINDOW_S, t_end)
    rr = np.diff(beats)
    g = listener.conductance(np.arange(t_end - WINDOW_S, t_end, 0.25))
    rises = np.diff(g[::2])
    scrs = int(np.sum((rises[1:] > 0.03) & (rises[:-1] <= 0.03)))
    return WindowFeatures(
        t_end=t_end,
        window_s=WINDOW_S,
        hr_bpm=float(60 / rr.mean()),
        rmssd_ms=float(1000 * np.sqrt(np.mean(np.diff(rr) ** 2))),
        n_beats=len(beats),
        scl_us=float(np.median(g)),
        scr_per_min=scrs / (WINDOW_S / 60),
        ppg_quality=0.9,
        eda_quality=0.9,
    )


def test_a_relax_session_calms_the_demo_listener_and_the_estimate_follows() -> None:
    listener = demo_listener(seed=11)
    sequencer = RuleSequencer(goal="relax", session_s=1200.0, calibration_s=180.0)
    windows: list[WindowFeatures] = []
    estimator: RuleEstimator | None = None
    baseline_arousal: float | None = None
    estimate = None
    previous: Decision | None = None
    decisions: list[Decision] = []
    truth, estimated = [], []
    elapsed = 0.0
    while True:
        hr = windows[-1].hr_bpm if windows else None
        if elapsed >= 180.0 and estimator is None:
            estimator = RuleEstimator(Baseline.from_windows(windows))
            baseline_arousal = entry_arousal(Baseline.from_windows(windows))
        state = SequencerState(
            elapsed_s=elapsed,
            session_s=1200.0,
            estimate=estimate,
            baseline_arousal=baseline_arousal,
            previous=previous,
            hr_bpm=hr,
        )
        decision = sequencer.next(state)
        decisions.append(decision)
        if decision.duration_s == 0:
            break
        listener.hear(decision.recipe, elapsed)
        end = elapsed + decision.duration_s
        t = elapsed
        while t + STEP_S <= end + 1e-9:
            t += STEP_S
            if t < WINDOW_S:
                continue
            features = _features(listener, t)
            windows.append(features)
            if estimator is not None:
                estimate = estimator.estimate(features)
                truth.append(listener.true_arousal(t))
                estimated.append(estimate.arousal)
        elapsed, previous = end, decision

    iso = next(d for d in decisions if d.phase == "iso")
    assert iso.recipe.tempo_bpm >= 80  # the stressed listener's fast heart sets a fast entry
    assert baseline_arousal is not None and baseline_arousal > 0.6
    trough_end = max(i for i, d in enumerate(decisions) if d.phase == "trough")
    t_trough_end = sum(d.duration_s for d in decisions[: trough_end + 1])
    assert listener.true_arousal(t_trough_end) < 0.45  # started at ~0.7
    assert np.corrcoef(truth, estimated)[0, 1] > 0.8
