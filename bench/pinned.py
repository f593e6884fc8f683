"""Run one measured child program pinned to one core, so CPU seconds compare across peers and
the peak memory (`wait4`'s ru_maxrss) is that child's alone."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def run_pinned(script: Path, args: list[str], out: Path) -> tuple[float, float, int]:
    """(CPU s, wall s, peak RSS in KiB) of `python script *args`, which prints a JSON object
    with "cpu" and "s" to its stdout (written to `out`)."""
    core = sorted(os.sched_getaffinity(0))[-1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    argv = [sys.executable, str(script), *args]
    pid = os.fork()
    if pid == 0:  # child: pin to one core, then become the program
        os.sched_setaffinity(0, {core})
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.execvpe(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(args[:1])} exited with {status}")
    times = json.loads(out.read_text())
    return float(times["cpu"]), float(times["s"]), usage.ru_maxrss
