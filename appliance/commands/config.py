"""attune config check|show."""

from __future__ import annotations

import argparse
import sys

from appliance.commands import ETC_DIR, config_from

NAME = "config"
HELP = "check or show the configuration"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ck = sub.add_parser("check", help="validate a config file (or the installed one)")
    ck.add_argument("file", nargs="?", help="a YAML file (default: /etc/attune)")
    sh = sub.add_parser("show", help="print the effective configuration")
    sh.add_argument("--changed", action="store_true", help="only what differs from defaults")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from appliance.config import check_command, show_command

    if args.action == "check":
        path = Path(args.file) if args.file else args.config
        code, text = check_command(path, ETC_DIR)
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code
    print(show_command(config_from(args), args.changed))
    return 0
