import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from appliance.affect.estimate import CALM_BELOW, STRESSED_ABOVE
from appliance.affect.model_estimator import ModelEstimator, make_estimator
from appliance.affect.model_features import FEATURE_NAMES
from appliance.affect.model_runtime import (
    DEFAULT_MODEL_PATH,
    AffectModel,
    FeatureMismatch,
    ModelUnavailable,
    arousal_from_p_stress,
    check_features,
)
from appliance.affect.rules import RuleEstimator
from appliance.signals.features import WindowFeatures

pytest.importorskip("ai_edge_litert", reason="the LiteRT runtime (ai-edge-litert) is needed")
SPEC = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())
MAX_QUANTISATION_ERROR = 0.05  # int8 vs float P(stress), on the stored fixed inputs


def _window(t, hr=70.0, scl=2.0, q=0.9):
    return WindowFeatures(
        t_end=t, window_s=60.0, hr_bpm=hr, rmssd_ms=40.0, sdnn_ms=50.0, n_beats=70,
        scl_us=scl, scl_slope_us_per_min=0.0, scr_per_min=2.0, ppg_quality=q, eda_quality=q,
    )  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return AffectModel()


def test_shipped_model_is_small_and_describes_itself(model):
    assert DEFAULT_MODEL_PATH.stat().st_size <= 100 * 1024
    assert tuple(SPEC["features"]) == FEATURE_NAMES
    assert SPEC["classes"] == ["not_stress", "stress"]
    assert len(SPEC["training"]["data_sha256"]) == 64


def test_tflite_agrees_with_keras_on_fixed_inputs(model):
    ref = SPEC["reference"]
    p = model.predict(np.array(ref["inputs"], dtype=np.float32))
    keras = np.array(ref["keras_p_stress"])
    assert np.max(np.abs(p - keras)) <= MAX_QUANTISATION_ERROR
    # And the runtime reproduces what the interpreter gave at training time.
    assert np.allclose(p, ref["tflite_p_stress"], atol=1e-3)
    assert np.corrcoef(p, keras)[0, 1] > 0.95


def test_mismatched_feature_list_is_refused_with_a_clear_error(tmp_path):
    shutil.copy(DEFAULT_MODEL_PATH, tmp_path / "affect.tflite")
    spec = dict(SPEC, features=[*SPEC["features"][:-1], "breathing_rate_rel"])
    (tmp_path / "affect.json").write_text(json.dumps(spec))
    with pytest.raises(FeatureMismatch, match=r"does not match.*breathing_rate_rel"):
        AffectModel(tmp_path / "affect.tflite")


def test_description_of_another_format_is_refused_with_a_clear_error(tmp_path):
    shutil.copy(DEFAULT_MODEL_PATH, tmp_path / "affect.tflite")
    (tmp_path / "affect.json").write_text(json.dumps(dict(SPEC, format=1)))
    with pytest.raises(ModelUnavailable, match=r"format 1.*reads format 3.*retrain"):
        AffectModel(tmp_path / "affect.tflite")


@pytest.mark.parametrize(
    "cuts",
    [
        {"calm_below": 0.5, "decision": 0.45, "stressed_above": 0.6},  # calm above decision
        {"calm_below": 0.3, "decision": 0.45, "stressed_above": 1.2},  # beyond a probability
    ],
)
def test_thresholds_out_of_order_are_refused_with_a_clear_error(tmp_path, cuts):
    shutil.copy(DEFAULT_MODEL_PATH, tmp_path / "affect.tflite")
    (tmp_path / "affect.json").write_text(json.dumps(dict(SPEC, thresholds=cuts)))
    with pytest.raises(ModelUnavailable, match=r"0 < calm_below < decision < stressed_above < 1"):
        AffectModel(tmp_path / "affect.tflite")


def test_check_features_names_the_first_difference():
    with pytest.raises(FeatureMismatch, match="position 1"):
        check_features(("a", "b", "c"), ("a", "c", "b"))
    check_features(("a", "b"), ("a", "b"))


def test_factory_falls_back_to_rules_and_logs_why(tmp_path, caplog):
    shutil.copy(DEFAULT_MODEL_PATH, tmp_path / "affect.tflite")
    (tmp_path / "affect.json").write_text(json.dumps(dict(SPEC, features=["hr_bpm"])))
    calibration = [_window(float(t)) for t in range(20, 180, 5)]
    with caplog.at_level(logging.WARNING):
        est, why = make_estimator(calibration, tmp_path / "affect.tflite")
    assert isinstance(est, RuleEstimator)
    assert "does not match" in why
    assert "rule estimate" in caplog.text and "does not match" in caplog.text
    est, why = make_estimator(calibration, tmp_path / "absent.tflite")
    assert isinstance(est, RuleEstimator) and "not found" in why
    est, why = make_estimator(calibration)
    assert isinstance(est, ModelEstimator) and why is None


def test_a_session_window_the_model_was_not_trained_on_sets_it_aside(caplog):
    calibration = [_window(float(t)) for t in range(20, 180, 5)]
    est, why = make_estimator(calibration, window_s=30.0, calibration_s=180.0)
    assert isinstance(est, RuleEstimator)
    assert "60 s analysis windows" in why and "session.window_s is 30" in why
    with caplog.at_level(logging.WARNING):
        est, why = make_estimator(calibration, window_s=60.0, calibration_s=120.0)
    # A shorter calibration only makes the baseline noisier: the model still runs, with a note.
    assert isinstance(est, ModelEstimator) and why is None
    assert "session.calibration_min" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        est, why = make_estimator(calibration, window_s=60.0, calibration_s=300.0)
    assert isinstance(est, ModelEstimator) and why is None and caplog.text == ""


def test_model_estimate_rises_with_stress_and_quality_sets_confidence():
    calibration = [_window(float(t)) for t in range(20, 180, 5)]
    calm, _ = make_estimator(calibration)
    stressed, _ = make_estimator(calibration)
    for t in range(180, 480, 5):
        c = calm.estimate(_window(float(t)))
        s = stressed.estimate(_window(float(t), hr=95.0, scl=4.0))
    assert c.source == s.source == "model"
    assert s.p_stress > c.p_stress
    poor = stressed.estimate(_window(480.0, hr=95.0, scl=4.0, q=0.2))
    good = stressed.estimate(_window(485.0, hr=95.0, scl=4.0, q=0.9))
    assert poor.confidence < good.confidence
    assert 0.0 <= poor.arousal <= 1.0 and set(FEATURE_NAMES) <= set(good.features)


def test_arousal_mapping_puts_model_thresholds_on_shared_cut_offs():
    assert arousal_from_p_stress(0.2, 0.2, 0.7) == pytest.approx(CALM_BELOW)
    assert arousal_from_p_stress(0.7, 0.2, 0.7) == pytest.approx(STRESSED_ABOVE)
    assert arousal_from_p_stress(0.0, 0.2, 0.7) == 0.0
    assert arousal_from_p_stress(1.0, 0.2, 0.7) == 1.0


def test_model_path_is_the_repository_models_folder():
    assert DEFAULT_MODEL_PATH.parent.name == "models"
    assert (Path(__file__).resolve().parents[3] / "models" / "affect.tflite") == DEFAULT_MODEL_PATH


def test_drift_is_logged_once_per_input_and_session_not_every_window(caplog):
    calibration = [_window(float(t)) for t in range(20, 180, 5)]
    est, _ = make_estimator(calibration)
    with caplog.at_level(logging.WARNING, logger="appliance.affect.drift"):
        # A racing spell, then a very calm one: different inputs lead the drift in turn.
        windows = [
            est.estimate(
                _window(float(t), hr=150.0, scl=12.0)
                if t < 700
                else _window(float(t), hr=60.0, scl=0.5)
            )
            for t in range(180, 1380, 5)
        ]
    named = [r.getMessage().split("(")[1].split(" at ")[0] for r in caplog.records]
    drifting = sum(w.features["drift"] == 1.0 for w in windows)
    assert drifting > 20  # drift held for many windows…
    assert len(named) >= 2  # …each input that led it is named…
    assert len(named) == len(set(named)) < drifting  # …once
