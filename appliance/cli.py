"""`attune …`: the technician's and developer's entry points.

Each sub-command is a module in appliance/commands/. Errors a user can fix go to stderr as one
clear message with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import signal
import sys
from pathlib import Path

import appliance.commands
from appliance.config import ConfigError
from appliance.music.render import MusicUnavailable
from drivers.audio import AudioDeviceMissing
from drivers.sources import SensorNotFound

# Errors whose message already tells the user what to do.
USER_ERRORS = (MusicUnavailable, AudioDeviceMissing, SensorNotFound, FileNotFoundError)


def _commands() -> list:
    names = sorted(m.name for m in pkgutil.iter_modules(appliance.commands.__path__))
    return [importlib.import_module(f"appliance.commands.{name}") for name in names]


def version() -> str:
    """The installed distribution's version: the release directory's name on a device."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("attune")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Version(argparse.Action):
    """--version, looked up only when asked: the metadata read stays off every start-up."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"attune {version()}")
        parser.exit()


def _parser(commands: list) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="attune", description="Adaptive music-therapy appliance.")
    p.add_argument("--version", action=_Version)
    p.add_argument("--config", type=Path, help="use FILE instead of /etc/attune (development)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in commands:
        module.add_arguments(sub.add_parser(module.NAME, help=module.HELP, description=module.HELP))
    return p


def main(argv: list[str] | None = None) -> int:
    commands = _commands()
    args = _parser(commands).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",  # journald adds the timestamps
        stream=sys.stderr,
    )
    module = next(m for m in commands if args.command == m.NAME)
    try:
        code = module.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit where it cannot be caught
        return code
    except BrokenPipeError:
        # `attune … | head` closed our stdout: the reader has what it wanted. Python's
        # documented way: point stdout at devnull so the flush at exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE  # what a tool killed by SIGPIPE reports to the shell
    except ConfigError as exc:
        print(f"attune: the configuration is not valid:\n{exc}", file=sys.stderr)
        return 1
    except USER_ERRORS as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nattune: interrupted; the session is recorded as interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
