"""`attune simulate --record`: simulated residents' sessions kept in the device's store, dated
one a day, with the policy that played, so the trend report and the comparison read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.store.db import Store


def test_recorded_sessions_make_a_report_and_a_comparison(tmp_path: Path, capsys) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    base = ["--config", str(config)]
    run = [*base, "simulate", "--record", "--sessions", "2", "--workers", "1"]
    assert attune([*run, "--listeners", "1"]) == 0
    assert attune([*run, "--listeners", "2", "--policy", "compare", "--seed", "1"]) == 0
    assert "sessions recorded in" in capsys.readouterr().out
    with Store(tmp_path / "state" / DB_NAME) as store:
        first = store.sessions("sim-0000")
        assert len(first) == 4 and all(s.consent and s.status == "completed" for s in first)
        days = sorted({s.started_wall for s in first})
        assert len(days) == 2 and days[1] - days[0] == timedelta(days=1)
        assert days[1].date() == datetime.now(UTC).date()  # the last one today
        assert store.physiology(first[0].id) and store.decisions(first[0].id)
        assert list(store.policies("sim-0000").values()).count(("adaptive", False)) == 2
        policies = list(store.policies("sim-0001").values())
    # The comparison's two sessions are a block: one of each, drawn at random.
    assert sorted(policies) == [("adaptive", True), ("u_sequence", True)]
    out = tmp_path / "reports"
    assert attune([*base, "listeners", "report", "sim-0000", "--out", str(out)]) == 0
    assert (out / "sim-0000-trend.pdf").exists()
    assert attune([*base, "outcomes", "compare", "sim-0001"]) == 0
    assert "not yet enough sessions: 2 of the 8 needed" in capsys.readouterr().out
    assert attune([*run, "--policy", "fixed"]) == 2
    assert "--record plays one policy" in capsys.readouterr().err
