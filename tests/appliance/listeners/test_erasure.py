"""Erasure: `attune listeners forget ID`, and consent withdrawn, on a real state folder (the
SQLite store, personal music imported from real audio files, exports written by the exporter)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from appliance.affect.estimate import AffectEstimate
from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.report.export import export_sessions
from appliance.sequencer.decision import Decision
from appliance.signals.features import WindowFeatures
from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store
from appliance.store.export import export_session_csv

PROJECT = Path(__file__).resolve().parents[3]
START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PROFILE = "id: {id}\ngoal: relax\nconsent:\n  given: {given}\n  date: 2024-01-01\n"


def _session(store: Store, listener_id: str | None) -> int:
    sid = store.start_session(listener_id, "relax", 1200, START, consent=listener_id is not None)
    calm = Recipe(tempo_bpm=60, key="D", mode="minor", instrument="strings", density=0.2)
    store.add_decision(sid, 0.0, Decision(calm, 180, "calibration", "calibration", "baseline"))
    for t in (60.0, 65.0):
        features = WindowFeatures(t_end=5000 + t, window_s=60, hr_bpm=72.0, scl_us=4.5,
                                  ppg_quality=0.9, eda_quality=0.7)  # fmt: skip
        estimate = AffectEstimate(t=5000 + t, p_stress=0.4, arousal=0.4, confidence=0.6,
                                  quality=features.quality)  # fmt: skip
        store.add_physiology(sid, t, features, estimate)
    store.add_event(sid, 30.0, "baseline", "HR 72 bpm")
    store.end_session(sid, "completed", 1200, {})
    return sid


@pytest.fixture
def device(tmp_path: Path) -> dict[str, Path]:
    """A state folder holding L-0042 (sessions, learning, quarantine, music, an export), L-0007
    (one session) and an anonymous session; a config pointing at it."""
    state, listeners = tmp_path / "state", tmp_path / "listeners"
    listeners.mkdir()
    with Store(state / DB_NAME) as store:
        sessions = [_session(store, "L-0042"), _session(store, "L-0042")]
        _session(store, "L-0007")
        _session(store, None)
        learning = LearningStore(store)
        learning.save_state("L-0042", "bandit", {"arms": [1, 2]})
        learning.quarantine("L-0042", "L-0042/Waltz.wav", session_id=sessions[0], reason="hr")
        export_session_csv(store, sessions[0], state / "exports" / "s1")
        export_session_csv(store, 3, state / "exports" / "s3")  # L-0007's: stays
        # Outcome tables and FHIR bundles (6 files), and L-0007's, which stay (4).
        export_sessions(store, state / "exports" / "l42", listener_id="L-0042")
        export_sessions(store, state / "exports" / "l7", listener_id="L-0007")
    (state / "exports" / "s1" / f"session-{sessions[0]}.png").write_bytes(b"\x89PNG report")
    legacy = state / "exports" / "legacy"  # exported before file names carried the session
    legacy.mkdir()
    (legacy / "physiology.csv").write_bytes(
        (state / "exports" / "s1" / f"session-{sessions[0]}-physiology.csv").read_bytes()
    )
    usb = tmp_path / "usb"
    usb.mkdir()
    t = np.arange(48000 * 12) / 48000  # over the import's 10 s minimum
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(str(usb / "Waltz.wav"), np.stack([tone, tone], axis=1), 48000)
    (usb / "Waltz.yaml").write_text("mood: calm\n")
    assert Library.in_state_dir(state).import_path("L-0042", usb).imported
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\nlisteners:\n  dir: {listeners}\n")
    return {"state": state, "config": config, "listeners": listeners}


def _left(state: Path, listener_id: str) -> dict[str, int]:
    with Store(state / DB_NAME) as store:
        rows = store.holds_listener(listener_id)
        sessions = len(store.sessions(listener_id))
        anonymous = len([s for s in store.sessions() if s.listener_id is None])
    exports = [p for p in (state / "exports").rglob("*") if p.is_file()]
    music = state / "music" / listener_id
    return {
        "rows": int(rows),
        "sessions": sessions,
        "anonymous": anonymous,
        "music": int(music.exists()),
        "exports": len(exports),
    }


def test_forget_removes_every_trace_and_says_what(device, capsys) -> None:
    state = device["state"]
    assert _left(state, "L-0042") == {
        "rows": 1, "sessions": 2, "anonymous": 1, "music": 1, "exports": 16
    }  # fmt: skip
    code = attune(["--config", str(device["config"]), "listeners", "forget", "L-0042", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "listener L-0042: erased 2 sessions, 4 physiology rows, 2 decisions, 2 events" in out
    for line in ("learning states      1", "quarantined tracks   1", "personal tracks      1"):
        assert line in out
    assert "music files          2" in out  # the track and the index (with its tags)
    # s1: two CSVs and the report; l42: the outcomes CSV, the FHIR bundle and four CSVs; legacy.
    assert "export files         10" in out
    assert _left(state, "L-0042") == {
        "rows": 0, "sessions": 0, "anonymous": 1, "music": 0, "exports": 6
    }  # fmt: skip
    assert _left(state, "L-0007")["sessions"] == 1  # nobody else's data is touched
    # Nothing left to find in the database file, either (secure_delete, the WAL checkpointed).
    raw = b"".join(p.read_bytes() for p in state.glob(f"{DB_NAME}*"))
    assert b"L-0042" not in raw


def test_forget_asks_first_and_a_closed_stdin_is_a_clear_refusal(device) -> None:
    cmd = [sys.executable, "-m", "appliance.cli", "--config", str(device["config"])]
    cmd += ["listeners", "forget", "L-0042"]
    closed = subprocess.run(cmd, cwd=PROJECT, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert closed.returncode == 1
    assert "standard input is closed" in closed.stderr and "--yes" in closed.stderr
    assert "Traceback" not in closed.stderr
    assert _left(device["state"], "L-0042")["sessions"] == 2
    declined = subprocess.run(cmd, cwd=PROJECT, input="no\n", capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    assert declined.returncode == 1 and "not erased" in declined.stderr
    agreed = subprocess.run(cmd, cwd=PROJECT, input="yes\n", capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert agreed.returncode == 0, agreed.stderr
    assert _left(device["state"], "L-0042")["sessions"] == 0


def test_forget_refuses_a_name_in_place_of_an_id(device, capsys) -> None:
    code = attune(["--config", str(device["config"]), "listeners", "forget", "../etc", "--yes"])
    assert code == 2 and "pseudonymous id" in capsys.readouterr().err


def test_withdrawn_consent_is_erased_by_listeners_check(device, capsys) -> None:
    folder = device["listeners"]
    (folder / "l42.yaml").write_text(PROFILE.format(id="L-0042", given="false"))
    (folder / "l07.yaml").write_text(PROFILE.format(id="L-0007", given="true"))
    assert attune(["--config", str(device["config"]), "listeners", "check"]) == 0
    out = capsys.readouterr().out
    assert "consent withdrawn for L-0042: erased 2 sessions" in out
    assert _left(device["state"], "L-0042")["rows"] == 0
    assert _left(device["state"], "L-0042")["music"] == 0
    assert _left(device["state"], "L-0007")["sessions"] == 1  # consent stands: kept
    assert attune(["--config", str(device["config"]), "listeners", "check"]) == 0
    assert "consent withdrawn" not in capsys.readouterr().out  # nothing left to erase


def test_forgetting_a_listener_never_seen_erases_nothing(device, capsys) -> None:
    code = attune(["--config", str(device["config"]), "listeners", "forget", "L-9999", "--yes"])
    assert code == 0
    assert "listener L-9999: erased nothing was stored" in capsys.readouterr().out
    assert _left(device["state"], "L-0042")["sessions"] == 2
