"""attune run: the service."""

from __future__ import annotations

import argparse

from appliance.commands import config_from

NAME = "run"
HELP = "run the service with the configured drivers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from appliance.service import run_service

    return run_service(config_from(args))
