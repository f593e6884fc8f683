"""A session on the emulated hardware with a listener's own music: the configured stretch limit
and the profile's life history reach the sequencer, familiar tracks play stretched to the arc's
tempo, and the session's audio is what the engine made."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from appliance.app import build
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.listeners import load_listeners
from appliance.music.library import Library
from appliance.simulate.listener import demo_listener
from tests.appliance.sequencer.test_sequencer_familiar import RATE, beats

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
audio:
  output: wav
  sample_rate: 16000
music:
  stretch_limit_pct: 12
session:
  calibration_min: 1
  segment_min: 1.0
"""

PROFILE = """\
id: L-0100
goal: relax
session_min: 5
constraint: no_generated
born: 1930s
consent:
  given: true
  date: 2024-05-01
"""


def test_a_session_plays_the_listeners_familiar_music_stretched(tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    for title, bpm, tags in (
        ("Moon River", 70.0, "familiar: yes"),
        ("Lullaby", 62.0, "era: 1950s"),
    ):
        sf.write(str(stick / f"{title}.wav"), beats(bpm, 90.0), RATE)
        (stick / f"{title}.yaml").write_text(f"{tags}\nvocals: no\n")
    Library.in_state_dir(tmp_path / "state").import_path("L-0100", stick)
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "p.yaml").write_text(PROFILE)
    (profile,), problems = load_listeners(tmp_path / "l")
    assert problems == []
    path = tmp_path / "attune.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state"))
    appliance = build(load_config(path), SimulatedClock(), listener=demo_listener(seed=1))
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(tmp_path / "s.wav")
    result = appliance.new_session(sensors=sensors, sink=sink, profile=profile).run()
    sink.close()
    sensors.close()
    decisions = appliance.store.decisions(result.session_id)
    appliance.close()
    files = [d for d in decisions if d["recipe"]["source"] == "file"]
    # Only their own music, as the profile says (near-silence where none fits).
    assert files and all(d["recipe"]["source"] in ("file", "silence") for d in decisions)
    stretched = [d for d in files if d["recipe"]["speed"] != 1.0]
    assert stretched
    assert all(abs(d["recipe"]["speed"] - 1.0) <= 0.12 + 1e-9 for d in files)
    assert all("'Moon River'" in d["reason"] or "'Lullaby'" in d["reason"] for d in files)
    assert any(
        "reminiscence (1950s, when they were 10-30): 'Lullaby'" in d["reason"] for d in files
    )  # the profile's birth decade reached the choice
    audio, rate = sf.read(str(tmp_path / "s.wav"))
    assert rate == 16000 and len(audio) >= 4 * 60 * rate and abs(audio).max() > 0.01
