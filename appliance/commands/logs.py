"""attune logs [-f]: the service's log, from journald (Attune logs nowhere else)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

NAME = "logs"
HELP = "show the service's log (journalctl -u attune.service)"
UNIT = "attune.service"
NO_JOURNALCTL = (
    "attune logs: journalctl not found; the service logs to journald, so read the log on the "
    "device itself (Raspberry Pi OS has journalctl), e.g. over SSH"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("--since", help="start at this time, e.g. '1 hour ago', today, 2024-05-01")
    p.add_argument(
        "-n", "--lines", type=int, help="show only the last N lines (default: all, or 10 with -f)"
    )
    p.add_argument("--boot", action="store_true", help="only since the last boot")


def journalctl_args(args: argparse.Namespace, journalctl: str = "journalctl") -> list[str]:
    """The journalctl command line for these options."""
    argv = [journalctl, "--unit", UNIT, "--output", "short-iso"]
    if args.follow:
        argv.append("--follow")
    if args.since:
        argv += ["--since", args.since]
    if args.lines is not None:
        argv += ["--lines", str(args.lines)]
    if args.boot:
        argv.append("--boot")
    if not args.follow:
        argv.append("--no-pager")
    return argv


def run(args: argparse.Namespace) -> int:
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        print(NO_JOURNALCTL, file=sys.stderr)
        return 1
    sys.stdout.flush()
    # exec: Ctrl-C and the pager behave exactly as in journalctl itself.
    os.execv(journalctl, journalctl_args(args, journalctl))
    return 0  # not reached
