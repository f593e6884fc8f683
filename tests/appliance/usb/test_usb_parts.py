"""The USB route's small parts: the profile's usb_folder, the spool between the handler and
the service, the log's cap, and the command's errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from appliance.cli import main as attune
from appliance.listeners import load_listeners
from appliance.usb.spool import NOTICE_MAX_AGE_S, Spool
from appliance.usb.summary import LOG_KEEP_CHARS, new_log

PROFILE = "id: L-0042\ngoal: relax\nconsent:\n  given: false\nusb_folder: {value}\n"


def test_usb_folder_is_one_folder_name_and_never_the_reports_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(PROFILE.format(value="Margaret"))
    profiles, problems = load_listeners(tmp_path)
    assert problems == [] and profiles[0].usb_folder == "Margaret"
    for bad in ("'../etc'", "Reports", "'a:b'", "''"):
        (tmp_path / "a.yaml").write_text(PROFILE.format(value=bad))
        profiles, problems = load_listeners(tmp_path)
        assert profiles == [] and len(problems) == 1, bad
        assert "a.yaml:5" in str(problems[0]) and "usb_folder" in str(problems[0]), problems


def test_notices_are_taken_once_in_order_and_old_or_broken_ones_are_dropped(tmp_path) -> None:
    spool = Spool(tmp_path)
    first = spool.post(True, [("usb_done", {})])
    spool.post(False, [("usb_pulled", {})])
    old = spool.post(True, [("usb_reports", {"residents": "2 residents"})])
    data = json.loads(old.read_text())
    data["written_at"] -= NOTICE_MAX_AGE_S + 1
    old.write_text(json.dumps(data))
    (spool.folder / "notice-9.json").write_text("{not json")
    notices = spool.take_notices()
    assert [n.prompts for n in notices] == [(("usb_done", {}),), (("usb_pulled", {}),)]
    assert [n.ok for n in notices] == [True, False]
    assert not first.exists() and spool.take_notices() == []
    assert oct(spool.folder.stat().st_mode & 0o777) == oct(0o700)


def test_a_busy_marker_is_live_while_its_process_is(tmp_path) -> None:
    spool = Spool(tmp_path)
    marker = spool.mark_busy("sda1")
    assert spool.busy()
    marker.write_text(json.dumps({"pid": 2**22 + 12345}))  # above pid_max: no such process
    assert not spool.busy() and not marker.exists()


def test_the_log_keeps_its_newest_sections_whole() -> None:
    section = "== 2026-01-01 10:00 (device time): USB stick plugged in ==\n" + "x" * 999 + "\n"
    text = ""
    for _ in range(LOG_KEEP_CHARS // len(section) + 50):
        text = new_log(text, section)
    assert len(text) <= LOG_KEEP_CHARS
    assert text.startswith("== ") and text.endswith(section)


def test_the_command_says_what_is_wrong_in_one_line(tmp_path, capsys) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    assert attune(["--config", str(config), "usb", "sync", "/dev/attune-no-such-disk"]) == 2
    err = capsys.readouterr().err
    assert "/dev/attune-no-such-disk is not mounted" in err and "Traceback" not in err
    assert attune(["--config", str(config), "usb", "sync", "--mount", str(tmp_path / "x")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        attune(["--config", str(config), "usb", "sync"])  # neither a device nor --mount


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the check is for running as root")
def test_as_root_it_refuses_a_state_folder_the_service_user_owns(tmp_path, capsys) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 4242, 4242)
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\n")
    assert attune(["--config", str(config), "usb", "sync", "--mount", str(tmp_path)]) == 2
    assert "sudo -u attune" in capsys.readouterr().err
    assert list(state.iterdir()) == []


def test_a_damaged_database_is_said_in_one_line_and_logged_on_the_stick(tmp_path, capsys) -> None:
    state, stick = tmp_path / "state", tmp_path / "stick"
    state.mkdir(mode=0o700)
    (state / "attune.db").write_bytes(b"this is not a database" * 100)
    (stick / "Attune").mkdir(parents=True)
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\nlisteners:\n  dir: {tmp_path}\n")
    assert attune(["--config", str(config), "usb", "sync", "--mount", str(stick)]) == 1
    err = capsys.readouterr().err
    assert "no reports: " in err and "DatabaseError" in err and "Traceback" not in err
    assert sorted(p.name for p in stick.rglob("*")) == ["Attune", "attune-log.txt"]
    assert "Problem: no reports:" in (stick / "Attune" / "attune-log.txt").read_text()
    notice = Spool(state).take_notices()[0]
    assert not notice.ok and notice.prompts[-1] == ("usb_failed", {})
