"""status.json: what the running service shows, read back by `attune status`."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.cli import main
from appliance.service.status_file import STATUS_NAME, writer_running


def _status(capsys, config: Path) -> tuple[int, dict]:
    code = main(["--config", str(config), "status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_running_service_is_seen_by_attune_status(harness, tmp_path: Path, capsys) -> None:
    h = harness()
    config = tmp_path / "attune.yaml"
    path = tmp_path / "state" / STATUS_NAME
    h.service.start()
    h.run(1.1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    code, report = _status(capsys, config)
    assert report["service"]["state"] == "idle" and report["service"]["running"]
    assert {n: s["level"] for n, s in report["sensors"].items()} == {
        "ppg": "ok",
        "gsr": "ok",
        "ble_hr": "off",
    }
    assert report["sessions"] == {"count": 0, "last": None}
    assert report["config"]["ok"] and report["alerts"] == [] and code == 0

    h.tap()
    h.until(lambda: h.service.running is not None, "a session")
    h.run(1.1)
    assert _status(capsys, config)[1]["service"]["state"] == "session"
    written = path.stat().st_mtime_ns
    h.run(2.2)  # nothing changed but the elapsed time: the SD card is not written
    assert path.stat().st_mtime_ns == written
    h.tap()
    h.until(lambda: h.service.running is None, "the session to end")
    h.run(1.1)
    code, report = _status(capsys, config)
    assert report["service"]["state"] == "idle"
    assert report["sessions"]["count"] == 1
    assert report["sessions"]["last"]["status"] == "stopped" and code == 0

    h.service.close()
    document = json.loads(path.read_text())
    assert document["state"] == "exiting"


def test_a_status_file_left_by_a_dead_service_reads_as_stopped(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\nhardware:\n  emulated: true\n")
    before_boot = (datetime.now(UTC) - timedelta(days=3650)).isoformat()
    document = {
        "format": 1,
        "state": "session",
        "alert": True,
        "session": None,
        "health": {"ppg": {"level": "ok", "detail": ""}},
        "pid": 1,  # alive, but written before this boot: some other process now
        "written_at": before_boot,
    }
    (state / STATUS_NAME).write_text(json.dumps(document))
    assert not writer_running(document)
    code, report = _status(capsys, config)
    assert code == 1
    assert report["service"]["state"] == "stopped" and not report["service"]["alert"]
    assert report["alerts"] == [f"service: not running (last seen session) at {before_boot}"]
    assert report["sensors"]["ppg"]["level"] == "unknown"  # not the dead service's word
