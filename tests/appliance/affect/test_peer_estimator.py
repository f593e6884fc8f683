"""The shipped estimator: the logistic peer, read from peer.json, on the device's windows."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from appliance.affect.model_estimator import EstimatorSource, ModelEstimator
from appliance.affect.peer_estimator import DEFAULT_PEER_PATH, PeerEstimator, PeerSpec
from appliance.affect.rules import RuleEstimator
from appliance.signals.features import WindowFeatures


def _window(t: float, hr: float = 70.0, scl: float = 2.0, scr: float = 2.0, q: float = 0.9):
    return WindowFeatures(
        t_end=t, window_s=60.0, hr_bpm=hr, rmssd_ms=40.0, sdnn_ms=50.0, n_beats=70,
        scl_us=scl, scl_slope_us_per_min=0.0, scr_per_min=scr, ppg_quality=q, eda_quality=q,
    )  # fmt: skip


CALIBRATION = [_window(float(t)) for t in range(60, 180, 5)]


def test_the_shipped_peer_reads_agitation_higher_and_calming_lower_than_the_calibration():
    spec = PeerSpec.load()
    stressed, calm, same = (PeerEstimator(spec, CALIBRATION) for _ in range(3))
    for t in range(180, 480, 5):
        s = stressed.estimate(_window(float(t), hr=90.0, scl=3.0, scr=6.0))
        c = calm.estimate(_window(float(t), hr=60.0, scl=1.5, scr=0.5))
        m = same.estimate(_window(float(t)))
    assert s.source == c.source == "peer"
    assert c.arousal < m.arousal < s.arousal
    assert c.arousal >= 0.0 and s.arousal <= 1.0 and 0.0 < s.confidence <= 1.0
    assert set(spec.inputs) <= set(s.features)


def test_the_device_ships_the_peer_and_the_network_only_on_request():
    assert isinstance(EstimatorSource().estimator(CALIBRATION)[0], PeerEstimator)
    network, why = EstimatorSource(peer_path=None).estimator(CALIBRATION)
    assert isinstance(network, ModelEstimator | RuleEstimator) and (why is None) == isinstance(
        network, ModelEstimator
    )


def test_a_broken_peer_file_falls_back_and_says_why(tmp_path: Path, caplog):
    broken = tmp_path / "peer.json"
    data = json.loads(DEFAULT_PEER_PATH.read_text())
    data["inputs"] = ["hr_rel", "no_such_input", "ln_scl_ratio", "scr_delta_per_min"]
    broken.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        estimator, _ = EstimatorSource(tmp_path / "absent.tflite", peer_path=broken).estimator(
            CALIBRATION
        )
    assert isinstance(estimator, RuleEstimator)
    assert "no_such_input" in caplog.text and "refit" in caplog.text


def test_a_session_with_another_analysis_window_runs_on_the_rules():
    spec = PeerSpec.load()
    if spec.window_s is None:
        pytest.skip("this peer.json does not record its analysis window")
    estimator, why = EstimatorSource().estimator(CALIBRATION, window_s=spec.window_s / 2)
    assert isinstance(estimator, RuleEstimator) and "analysis windows" in (why or "")
