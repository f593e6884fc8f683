"""`attune sessions list|show|export`: a header, local times, clinician words, the raw record on
request, exports by session, listener or date range, and one-line errors."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

# The stored sessions with a known outcome live beside the outcome tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from outcome_sessions import record_session

from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.store.db import Store

# Words of the learning machinery that a clinician should never have to read.
JARGON = ("bandit", "arm", "policy", "probability", "context", "reward", "rule", "iso.")


@pytest.fixture
def device(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    with Store(state / DB_NAME) as store:
        record_session(store)  # 1: L-1, consent
        record_session(store, listener=None)  # 2: no consent
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\n  timezone: Europe/London\n")
    return config


def _run(config: Path, *argv: str, capsys) -> tuple[int, str, str]:
    code = attune(["--config", str(config), "sessions", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_has_a_header_and_local_times(device: Path, capsys) -> None:
    code, out, _ = _run(device, "list", capsys=capsys)
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split()[:3] == ["Session", "Started", "Listener"]
    assert "2026-05-01 10:00 BST" in first  # recorded 09:00 UTC
    assert "L-1" in first and "89 → 73" in first
    assert "anonymous" in second


def test_show_speaks_a_clinicians_words_with_the_same_figures(device: Path, capsys) -> None:
    code, out, _ = _run(device, "show", "1", capsys=capsys)
    assert code == 0
    assert "Started:    2026-05-01 10:00 BST" in out
    assert "Heart rate 89 → 73 bpm (−16, signal quality 0.90)" in out  # as the report says
    assert "Pulse-rate variability (RMSSD) 30 → 42 ms" in out
    assert "calm target reached by minute 6" in out
    assert "Liked: 2" in out and "Staff alerts: 1" in out
    assert "slowing down" in out  # the arc's phase in words
    lowered = out.lower()
    assert not [w for w in JARGON if w in lowered]
    assert "{" not in out  # not JSON


def test_show_json_keeps_the_raw_record(device: Path, capsys) -> None:
    code, out, _ = _run(device, "show", "1", "--json", capsys=capsys)
    assert code == 0
    raw = json.loads(out)
    assert raw["id"] == 1 and raw["summary"]["outcome"]["heart_rate"][0] == pytest.approx(88.6)
    assert raw["decisions"][1]["phase"] == "descend"


def test_export_one_listener_into_a_private_folder(device: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "usb" / "attune"
    code, out, err = _run(
        device, "export", "--listener", "L-1", "--to", str(dest), "--no-reports", capsys=capsys
    )
    assert code == 0, err
    written = [Path(line) for line in out.splitlines()]
    assert {p.name for p in written} == {
        "listener-L-1-outcomes.csv",
        "listener-L-1-outcomes.fhir.json",
        "session-1-physiology.csv",
        "session-1-decisions.csv",
    }
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)


def test_export_with_its_report(device: Path, tmp_path: Path, capsys) -> None:
    code, _, _ = _run(device, "export", "1", "--to", str(tmp_path / "x"), capsys=capsys)
    assert code == 0
    assert (tmp_path / "x" / "session-1-report.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "argv, message",
    [
        ((), "say what to export"),
        (("1", "--listener", "L-1"), "exports that session alone"),
        (("--since", "2026-06-01", "--until", "2026-05-01"), "is after --until"),
    ],
)
def test_export_refuses_an_unclear_request_in_one_line(device, capsys, argv, message) -> None:
    code, out, err = _run(device, "export", *argv, capsys=capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out


def test_export_bad_date_or_id_is_a_usage_error(device, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        _run(device, "export", "--since", "2026-13-01", capsys=capsys)
    assert exit_.value.code == 2
    assert "'2026-13-01' is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _run(device, "export", "--listener", "Mrs Smith", capsys=capsys)
    assert "never a name" in capsys.readouterr().err


def test_nothing_to_export_and_unknown_session_are_clear(device, tmp_path, capsys) -> None:
    code, _, err = _run(
        device, "export", "--since", "2030-01-01", "--to", str(tmp_path), capsys=capsys
    )
    assert code == 1 and "no finished session matches" in err
    code, _, err = _run(device, "show", "9", capsys=capsys)
    assert code == 1 and "no session 9" in err
