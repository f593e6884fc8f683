"""Consent decides what a session keeps: a short simulated session on the emulated hardware."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.app import build
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.listeners import load_listeners
from appliance.simulate.listener import demo_listener

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
audio:
  output: wav
  sample_rate: 16000
session:
  length_min: 3
  calibration_min: 1
  segment_min: 1.0
"""

PROFILE = """\
id: L-0100
goal: relax
session_min: 5
consent:
  given: {given}
  date: 2024-05-01
"""


def run_session(tmp_path: Path, given: bool):
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "p.yaml").write_text(PROFILE.format(given=str(given).lower()))
    (profile,), problems = load_listeners(tmp_path / "l")
    assert problems == []
    path = tmp_path / "attune.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state"))
    appliance = build(load_config(path), SimulatedClock(), listener=demo_listener(seed=1))
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(tmp_path / "s.wav")
    session = appliance.new_session(sensors=sensors, sink=sink, profile=profile)
    result = session.run()
    sink.close()
    sensors.close()
    return appliance, result


@pytest.mark.slow
def test_without_consent_only_the_anonymous_outcome_is_kept(tmp_path: Path) -> None:
    appliance, result = run_session(tmp_path, given=False)
    store = appliance.store
    row = store.session(result.session_id)
    assert row.listener_id is None
    assert row.status == "completed" and abs(row.duration_s - 300) < 1  # the profile's length
    assert store.physiology(result.session_id) == []
    assert store.decisions(result.session_id) == []
    assert all(e["kind"] != "baseline" for e in store.events(result.session_id))
    assert row.summary["segments"] >= 3  # the outcome itself is there
    appliance.close()


@pytest.mark.slow
def test_with_consent_everything_is_kept_under_the_pseudonym(tmp_path: Path) -> None:
    appliance, result = run_session(tmp_path, given=True)
    store = appliance.store
    assert store.session(result.session_id).listener_id == "L-0100"
    assert len(store.physiology(result.session_id)) > 20
    assert store.decisions(result.session_id)
    appliance.close()
