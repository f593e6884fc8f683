"""`attune status`: the configuration check, the store and the alerts, without a service."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from appliance.app import DB_NAME
from appliance.cli import main
from appliance.store.db import Store


def _config(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    state = tmp_path / "state"
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\nhardware:\n  emulated: true\n{extra}")
    return config, state


def test_a_broken_configuration_is_an_alert_and_status_still_answers(
    tmp_path: Path, capsys
) -> None:
    config, _ = _config(tmp_path, "audio:\n  volum: 3\n")
    code = main(["--config", str(config), "status", "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 1 and captured.err == ""
    assert not report["config"]["ok"]
    first = report["alerts"][0]
    assert first.startswith("configuration not valid: ") and f"{config}:6" in first
    assert "audio.volum" in first


def test_the_last_session_and_its_bad_end_are_reported(tmp_path: Path, capsys) -> None:
    config, state = _config(tmp_path)
    with Store(state / DB_NAME) as store:
        first = store.start_session(None, "relax", 600.0, datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
        store.end_session(first, "completed", 600.0, {})
        last = store.start_session(None, "sleep", 600.0, datetime(2026, 5, 2, 21, 0, tzinfo=UTC))
        store.end_session(last, "alert", 90.0, {})
    before = sorted(p.name for p in state.iterdir())
    code = main(["--config", str(config), "status", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["sessions"] == {
        "count": 2,
        "last": {
            "id": last,
            "started": "2026-05-02T21:00:00+00:00",
            "ended": "2026-05-02T21:01:30+00:00",
            "minutes": 1.5,
            "status": "alert",
        },
    }
    assert f"last session {last} ended as alert (2026-05-02T21:00:00+00:00)" in report["alerts"]
    assert report["store_bytes"] == sum(p.stat().st_size for p in state.iterdir())
    assert sorted(p.name for p in state.iterdir()) == before  # a status check writes nothing


def test_the_table_for_a_technician(tmp_path: Path, capsys) -> None:
    config, state = _config(tmp_path)
    state.mkdir(mode=0o700)
    (state / "status.json").write_text("{not json")
    assert main(["--config", str(config), "status"]) == 1
    out = capsys.readouterr().out
    pairs = [line.split(None, 1) for line in out.splitlines() if not line.startswith(" ")]
    rows = dict(p for p in pairs if len(p) == 2)
    assert rows["Configuration"] == "OK"
    assert rows["Service"] == "unknown"
    assert "Last session   none recorded" in out
    assert f"  - service: cannot read {state / 'status.json'}" in out
