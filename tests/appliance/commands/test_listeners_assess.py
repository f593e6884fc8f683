"""`attune listeners assess`: a clinician's score is recorded with its scale's range checked;
anything wrong is one clear line and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.store.assessments import Assessments
from appliance.store.db import Store


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "attune.yaml"
    path.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    return path


def _scores(config: Path) -> list[tuple[str, int, str]]:
    with Store(config.parent / "state" / DB_NAME) as store:
        return [(a.scale.key, a.score, a.on.isoformat()) for a in Assessments(store).of("L-0042")]


def test_a_score_is_recorded_and_echoed_with_its_range(config: Path, capsys) -> None:
    argv = ["--config", str(config), "listeners", "assess", "L-0042"]
    assert attune([*argv, "--scale", "CMAI-SF", "--score", "31", "--date", "2026-11-02"]) == 0
    assert "CMAI short form 31 on 2026-11-02 recorded (range 14-70" in capsys.readouterr().out
    assert _scores(config) == [("cmai-sf", 31, "2026-11-02")]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scale", "GAD-7", "--score", "22"], "GAD-7 score is a whole number from 0 to 21"),
        (["--scale", "PHQ-9", "--score", "-1"], "from 0 to 27"),
        (["--scale", "CMAI-SF", "--score", "10"], "from 14 to 70"),
        (["--scale", "agitation", "--score", "7.5"], "from 0 to 10"),
        (["--scale", "MMSE", "--score", "20"], "--scale: unknown scale 'MMSE'"),
        (["--scale", "GAD-7", "--score", "5", "--date", "20/11/2026"], "not a date like"),
        (["--scale", "GAD-7"], "needs --scale NAME and --score N"),
    ],
)
def test_bad_input_is_one_clear_line_and_nothing_is_recorded(
    config: Path, capsys, extra: list[str], message: str
) -> None:
    argv = ["--config", str(config), "listeners", "assess", "L-0042", *extra]
    assert attune(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    if (config.parent / "state" / DB_NAME).exists():
        assert _scores(config) == []


def test_a_name_in_place_of_an_id_is_refused(config: Path, capsys) -> None:
    argv = ["--config", str(config), "listeners", "assess", "Mrs Smith"]
    assert attune([*argv, "--scale", "GAD-7", "--score", "3"]) == 2
    assert "Mrs Smith" in capsys.readouterr().err
