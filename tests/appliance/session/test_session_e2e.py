"""A short accelerated session end to end on the emulated hardware: the closed loop music →
virtual listener → MAX30102/ADS1115 emulators → drivers → pipeline → sequencer → FluidSynth →
WAV, recorded in the store."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.app import build
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.report.outcomes import session_outcome, window_columns
from appliance.report.words import headline
from appliance.signals.outcome import session_changes
from appliance.simulate.listener import demo_listener

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
audio:
  output: wav
  sample_rate: 16000
  max_level_dbfs: -14.0
session:
  goal: {goal}
  length_min: 7
  calibration_min: 2
  segment_min: 1.0
"""


def _appliance(tmp_path: Path, goal: str = "relax", session_extra: str = ""):
    path = tmp_path / "attune.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state", goal=goal) + session_extra)
    config = load_config(path)
    clock = SimulatedClock()
    return build(config, clock, listener=demo_listener(seed=3)), clock


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()).astype(np.float64) / 32768.0, rate


@pytest.mark.slow
def test_short_session_records_decisions_physiology_and_audio(tmp_path: Path) -> None:
    appliance, _clock = _appliance(tmp_path)
    sensors = appliance.open_sensors()
    assert sensors.missing() == []
    wav = tmp_path / "session.wav"
    sink = appliance.make_sink(wav)
    session = appliance.new_session(sensors=sensors, sink=sink, listener_id="t-1")
    result = session.run()
    sink.close()
    store = appliance.store

    row = store.session(result.session_id)
    assert row.status == "completed"
    assert row.listener_id == "t-1"
    assert abs(row.duration_s - 7 * 60) < 1.0
    assert row.summary["affect_source"] == "peer"  # the shipped estimator, not the rules

    decisions = store.decisions(result.session_id)
    phases = [d["phase"] for d in decisions]
    assert phases[0] == "calibration"
    assert sum(d["duration_s"] for d in decisions) == pytest.approx(7 * 60, abs=0.5)
    assert all(d["reason"] for d in decisions)
    tempos = [d["tempo_bpm"] for d in decisions]
    assert max(abs(b - a) for a, b in itertools.pairwise(tempos)) <= 10

    physiology = store.physiology(result.session_id)
    assert len(physiology) >= 60  # a window every 5 s over 7 minutes
    hrs = [p["hr_bpm"] for p in physiology if p["hr_bpm"] is not None]
    truth = demo_listener(seed=3).traits.baseline_hr_bpm
    assert hrs and abs(np.median(hrs) - truth) < 25  # the pipeline sees the listener's heart
    assert any(p["arousal"] is not None for p in physiology)
    # The summary records the outcome by the one definition, over the very windows stored:
    # recomputed from the store, every figure is the same.
    recomputed = session_changes(window_columns(physiology), (0.0, 120.0))
    recorded = row.summary["outcome"]
    for name, change in recomputed.items():
        expected = [change.start, change.end, change.start_quality, change.end_quality]
        assert recorded[name] == pytest.approx(expected, nan_ok=True), name
    outcome = session_outcome(store, result.session_id)
    assert outcome.heart_rate.pre == pytest.approx(recomputed["heart_rate"].start)
    line = headline(outcome)  # a clean session always has its figures
    assert "no usable" not in line and "Arousal" in line

    audio, rate = _read_wav(wav)
    assert rate == 16000
    seconds = len(audio) / rate
    assert 7 * 60 <= seconds <= 7 * 60 + 10  # the session plus its closing fade
    peak = np.max(np.abs(audio))
    assert 0 < peak <= 10 ** (-14 / 20) * 1.01  # music played, never above the cap
    assert np.sqrt(np.mean(audio[: rate * 60] ** 2)) > 1e-3  # not silent
    appliance.close()


def _interrupted_session(appliance, wav: Path, after_s: float, arousals: list | None = None):
    """A session run until Ctrl-C arrives `after_s` into it; `arousals` collects the arousal
    of every status it reports."""
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(wav)

    def interrupt(status) -> None:
        if arousals is not None:
            arousals.append(status.arousal)
        if status.elapsed_s > after_s:
            raise KeyboardInterrupt

    session = appliance.new_session(sensors=sensors, sink=sink, on_status=interrupt)
    with pytest.raises(KeyboardInterrupt):
        session.run()
    sink.close()
    return session


def test_interrupted_session_is_recorded_as_interrupted(tmp_path: Path) -> None:
    appliance, _clock = _appliance(tmp_path)
    session = _interrupted_session(appliance, tmp_path / "s.wav", after_s=30)
    row = appliance.store.session(session.session_id)
    assert row.status == "interrupted"
    assert 30 <= row.duration_s < 60
    assert appliance.store.decisions(session.session_id)  # what happened is kept
    appliance.close()


def test_a_sensor_failing_mid_session_degrades_it_without_ending_it(tmp_path: Path) -> None:
    appliance, _clock = _appliance(tmp_path)
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(tmp_path / "s.wav")
    config = appliance.config

    def unplug_gsr(status) -> None:
        if status.elapsed_s > 150 and "gsr" not in sensors.missing():
            sensors.i2c.detach(config.hardware.gsr.address)  # the clip falls off the bus

    session = appliance.new_session(sensors=sensors, sink=sink, on_status=unplug_gsr)
    result = session.run()
    sink.close()
    assert result.status == "completed"
    assert result.summary["missing_sensors"] == ["gsr"]
    events = appliance.store.events(result.session_id)
    lost = [e for e in events if e["kind"] == "sensor_lost"]
    assert len(lost) == 1 and "gsr" in lost[0]["detail"]
    late = [p for p in appliance.store.physiology(result.session_id) if p["t_s"] > 240]
    assert late and all(p["hr_bpm"] is not None for p in late)  # PPG carries on
    appliance.close()


def test_a_window_the_model_never_saw_runs_on_rules_and_says_why(tmp_path: Path) -> None:
    appliance, _clock = _appliance(tmp_path, session_extra="  window_s: 30\n")
    estimates: list[float] = []
    session = _interrupted_session(appliance, tmp_path / "s.wav", after_s=150, arousals=estimates)
    events = appliance.store.events(session.session_id)
    why = [e["detail"] for e in events if e["kind"] == "affect_rules"]
    assert len(why) == 1 and "session.window_s is 30" in why[0]
    assert np.isfinite(estimates[-1])  # the rule estimate carries the session
    appliance.close()
