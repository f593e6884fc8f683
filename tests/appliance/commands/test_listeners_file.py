"""`attune listeners check --file F`: one profile, before a deployment puts it in place."""

from __future__ import annotations

from pathlib import Path

from appliance.cli import main

PROJECT = Path(__file__).resolve().parents[3]
EXAMPLE = PROJECT / "config" / "listeners" / "example.yaml"


def test_a_valid_profile_passes_and_nothing_else_is_read(tmp_path: Path, capsys) -> None:
    broken_config = tmp_path / "attune.yaml"
    broken_config.write_text("audio: [\n")  # not read: a profile is checked on its own
    code = main(["--config", str(broken_config), "listeners", "check", "--file", str(EXAMPLE)])
    assert code == 0
    assert capsys.readouterr().out == f"{EXAMPLE}: profile L-0001 valid\n"


def test_a_bad_profile_names_file_line_and_key(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "source"  # a deployment tool's temporary file has no .yaml suffix
    bad.write_text(EXAMPLE.read_text().replace("goal: relax ", "goal: relaks "))
    assert main(["listeners", "check", "--file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:5: goal: 'relaks' is not allowed; allowed: relax, sleep")


def test_file_goes_with_check_only(capsys) -> None:
    assert main(["listeners", "list", "--file", str(EXAMPLE)]) == 2
    assert "--file goes with listeners check only" in capsys.readouterr().err
