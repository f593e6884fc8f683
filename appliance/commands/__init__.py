"""`attune` sub-commands, one module each.

A module here defines `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`; cli.py
finds them all, so a new command is a new module and nothing else.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.config import Config, load_config

ETC_DIR = Path("/etc/attune")


def config_from(args: argparse.Namespace) -> Config:
    """The effective config for a command: --config FILE, else /etc/attune."""
    return load_config(args.config, etc_dir=ETC_DIR)
