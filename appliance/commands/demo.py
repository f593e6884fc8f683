"""attune demo: a simulated session end to end on emulated hardware."""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.sequencer.arcs import GOALS

NAME = "demo"
HELP = "run a simulated session end to end on emulated hardware"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    p.add_argument("--minutes", type=float, default=20.0, help="session length (default 20)")
    p.add_argument("--goal", choices=GOALS, default="relax")
    p.add_argument("--seed", type=int, default=0, help="the virtual listener's seed")


def run(args: argparse.Namespace) -> int:
    from appliance.demo import run_demo

    return run_demo(args.out, minutes=args.minutes, goal=args.goal, seed=args.seed)
