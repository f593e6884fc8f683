"""`attune logs`: runs journalctl for the unit, in a child process (the command execs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
# Prints the arguments it was given, one a line, the way journalctl would receive them.
ECHO_ARGS = '#!/bin/sh\nfor a; do echo "$a"; done\n'


def attune(*argv: str, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "appliance.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
    )


def test_follow_and_since_are_passed_to_journalctl(tmp_path: Path) -> None:
    fake = tmp_path / "journalctl"
    fake.write_text(ECHO_ARGS)
    fake.chmod(0o755)

    done = attune("logs", "-f", "--since", "1 hour ago", path=str(tmp_path))

    assert done.returncode == 0, done.stderr
    args = done.stdout.splitlines()
    assert args[args.index("--unit") + 1] == "attune.service"
    assert "--follow" in args and "--no-pager" not in args
    assert args[args.index("--since") + 1] == "1 hour ago"  # one argument, spaces kept


def test_without_follow_there_is_no_pager(tmp_path: Path) -> None:
    fake = tmp_path / "journalctl"
    fake.write_text(ECHO_ARGS)
    fake.chmod(0o755)
    args = attune("logs", "-n", "50", path=str(tmp_path)).stdout.splitlines()
    assert "--no-pager" in args and "--follow" not in args
    assert args[args.index("--lines") + 1] == "50"


def test_missing_journalctl_is_a_clear_error(tmp_path: Path) -> None:
    done = attune("logs", path=str(tmp_path))  # an empty PATH: no journalctl
    assert done.returncode == 1
    assert "journalctl not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="journalctl is not installed")
def test_the_real_journalctl_accepts_the_arguments() -> None:
    done = attune("logs", "--lines", "1", "--since", "today", path=os.environ["PATH"])
    assert done.returncode == 0, done.stderr
