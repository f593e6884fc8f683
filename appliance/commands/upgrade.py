"""attune upgrade SOURCE | --rollback: install a newer release, or go back to the previous one.

Both run scripts/install.sh (see it and docs/install.md): an upgrade waits for the session in
progress to end, backs the database up and migrates it; a rollback restores that backup. Like
the scripts, every path is under $ROOT when it is set (image builds, tests).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

NAME = "upgrade"
HELP = "install a new release from a checkout, or --rollback to the previous one (as root)"
CURRENT = Path("/opt/attune/current")


def add_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("source", nargs="?", type=Path, help="a checkout of the new version")
    what.add_argument(
        "--rollback",
        action="store_true",
        help="go back to the previous release and its database backup",
    )


def run(args: argparse.Namespace) -> int:
    root = os.environ.get("ROOT", os.environ.get("DESTDIR", "")).rstrip("/")
    if args.rollback:
        script = Path(f"{root}{CURRENT}/share/install.sh")
        cmd = ["bash", str(script), "--rollback"]
    else:
        script = args.source / "scripts" / "install.sh"
        cmd = ["bash", str(script)]
    if not script.is_file():
        where = "the current release" if args.rollback else f"{args.source} (not a checkout?)"
        print(f"attune upgrade: {script} not found in {where}", file=sys.stderr)
        return 1
    return subprocess.run(cmd, check=False).returncode
