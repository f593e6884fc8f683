"""The CLI's behaviour shared by every command."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback():
    # `attune config show | head -1`: the reader is gone before the command writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    config = str(ROOT / "config" / "attune.yaml")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "appliance.cli", "--config", config, "config", "show"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as the shell expects of a cut-off writer
