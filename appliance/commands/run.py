"""attune run: the service."""

from __future__ import annotations

import argparse

from appliance.commands import config_from

NAME = "run"
HELP = "run the service: button, LED, sessions (systemd starts it as attune.service)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--start-session",
        action="store_true",
        help="start a session at once, as a button press would (tests, benchmarks)",
    )


def run(args: argparse.Namespace) -> int:
    from appliance.service.run import run_service

    return run_service(
        config_from(args),
        start_session=args.start_session,
        load_config=lambda: config_from(args),
    )
