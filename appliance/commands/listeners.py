"""attune listeners list|check: the listener profiles in listeners.dir."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import config_from

NAME = "listeners"
HELP = "list or check the listener profiles (YAML files in listeners.dir)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list", "check"))
    p.add_argument("--dir", type=Path, help="profiles folder (default: listeners.dir)")


def run(args: argparse.Namespace) -> int:
    from appliance.listeners import load_listeners

    directory = args.dir or config_from(args).listeners.dir
    profiles, problems = load_listeners(directory)
    if args.action == "check":
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{directory}: {len(profiles)} profile(s) valid, {len(problems)} problem(s)")
        return 1 if problems else 0
    if not profiles and not directory.is_dir():
        print(f"attune: no profiles folder {directory}", file=sys.stderr)
        return 1
    print(f"{'id':<12} {'goal':<6} {'min':>4}  {'consent':<12} {'wearable':<17} flags")
    for p in profiles:
        minutes = "-" if p.session_min is None else f"{p.session_min:g}"
        consent = f"yes {p.consent.date}" if p.consent.given else "no"
        flags = [n for n in ("default", "dementia", "breathing_guide") if getattr(p, n)]
        if p.schedule:
            flags.append(f"{len(p.schedule)} slot(s)")
        print(
            f"{p.id:<12} {p.goal:<6} {minutes:>4}  {consent:<12} {p.wearable or '-':<17} "
            f"{', '.join(flags)}"
        )
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    return 0
