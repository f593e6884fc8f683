"""The shipped estimator files are checked before they are used: a corrupted copy that would
still load (and answer differently) is refused, and the session's record says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.model_runtime import (
    DEFAULT_MODEL_PATH,
    AffectModel,
    ModelUnavailable,
    file_sha256,
)
from appliance.affect.peer_estimator import (
    CHECKSUM_KEY,
    DEFAULT_PEER_PATH,
    PeerEstimator,
    PeerSpec,
    parameters_sha256,
)
from appliance.affect.rules import RuleEstimator
from appliance.affect.tracker import AffectTracker
from appliance.signals.features import WindowFeatures


def _window(t: float) -> WindowFeatures:
    return WindowFeatures(
        t_end=t, window_s=60.0, hr_bpm=70.0, rmssd_ms=40.0, sdnn_ms=50.0, n_beats=70,
        scl_us=2.0, scl_slope_us_per_min=0.0, scr_per_min=2.0, ppg_quality=0.9, eda_quality=0.9,
    )  # fmt: skip


def _copy_model(folder: Path, flip_at: int | None = None) -> Path:
    tflite = folder / "affect.tflite"
    data = bytearray(DEFAULT_MODEL_PATH.read_bytes())
    if flip_at is not None:
        data[flip_at] ^= 0x01
    tflite.write_bytes(bytes(data))
    shutil.copy(DEFAULT_MODEL_PATH.with_suffix(".json"), folder / "affect.json")
    return tflite


def _edited_peer(folder: Path) -> Path:
    data = json.loads(DEFAULT_PEER_PATH.read_text())
    data["coefficients"][0] = round(data["coefficients"][0] + 0.01, 6)
    path = folder / "peer.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def test_the_shipped_files_carry_and_pass_their_checks():
    description = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())
    assert description["model_sha256"] == file_sha256(DEFAULT_MODEL_PATH)
    peer = json.loads(DEFAULT_PEER_PATH.read_text())
    assert peer[CHECKSUM_KEY] == parameters_sha256(peer)
    assert PeerSpec.load().path == DEFAULT_PEER_PATH
    pytest.importorskip("ai_edge_litert", reason="the LiteRT runtime is needed to load it")
    AffectModel()


def test_a_flipped_byte_in_the_weights_is_refused_before_loading(tmp_path: Path):
    # In the middle of the file: the weights, where a flip loads and answers differently.
    tflite = _copy_model(tmp_path, flip_at=DEFAULT_MODEL_PATH.stat().st_size // 2)
    with pytest.raises(ModelUnavailable, match=r"affect.tflite is corrupted: its SHA-256"):
        AffectModel(tflite)


def test_a_description_without_the_hash_is_refused(tmp_path: Path):
    tflite = _copy_model(tmp_path)
    description = json.loads((tmp_path / "affect.json").read_text())
    del description["model_sha256"]
    (tmp_path / "affect.json").write_text(json.dumps(description))
    with pytest.raises(ModelUnavailable, match=r"records no model_sha256.*retrain"):
        AffectModel(tflite)


def test_a_changed_coefficient_in_the_peer_is_refused(tmp_path: Path):
    with pytest.raises(ModelUnavailable, match=r"corrupted or edited.*parameters_sha256"):
        PeerSpec.load(_edited_peer(tmp_path))
    data = json.loads(DEFAULT_PEER_PATH.read_text())
    del data[CHECKSUM_KEY]
    (tmp_path / "unsigned.json").write_text(json.dumps(data))
    with pytest.raises(ModelUnavailable, match=r"records no parameters_sha256"):
        PeerSpec.load(tmp_path / "unsigned.json")


def test_the_peer_writer_signs_what_it_writes(tmp_path: Path):
    from models import peer

    fitted = peer.load()
    peer.save(fitted, tmp_path / "peer.json", {"training": {"window_s": 60.0}})
    spec = PeerSpec.load(tmp_path / "peer.json")
    assert list(spec.coefficients) == list(fitted.coef[1:])


def test_both_files_corrupted_the_session_runs_on_the_rules_and_records_why(tmp_path: Path):
    tflite = _copy_model(tmp_path, flip_at=DEFAULT_MODEL_PATH.stat().st_size // 2)
    source = EstimatorSource(tflite, peer_path=_edited_peer(tmp_path))
    tracker = AffectTracker(source, calibration_s=180.0, window_s=60.0)
    for t in range(60, 185, 5):
        tracker.update(_window(float(t)), elapsed_s=float(t))
    assert isinstance(tracker.estimator, RuleEstimator)
    notes = dict(tracker.take_notes())
    assert "corrupted" in notes["affect_rules"]


def test_a_corrupted_peer_falls_to_the_network_and_the_record_says_why(tmp_path: Path):
    pytest.importorskip("ai_edge_litert", reason="the LiteRT runtime is needed for the network")
    source = EstimatorSource(peer_path=_edited_peer(tmp_path))
    tracker = AffectTracker(source, calibration_s=180.0, window_s=60.0)
    for t in range(60, 185, 5):
        tracker.update(_window(float(t)), elapsed_s=float(t))
    assert not isinstance(tracker.estimator, PeerEstimator | RuleEstimator)
    notes = dict(tracker.take_notes())
    assert "corrupted or edited" in notes["affect_peer_refused"]
