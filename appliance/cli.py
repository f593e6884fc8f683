"""`attune …`: the technician's and developer's entry points.

Errors a user can fix go to stderr as one clear message with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from appliance.config import ConfigError, load_config
from appliance.music.render import MusicUnavailable
from drivers.audio import AudioDeviceMissing
from drivers.sources import SensorNotFound

ETC_DIR = Path("/etc/attune")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="attune", description="Adaptive music-therapy appliance.")
    p.add_argument("--config", type=Path, help="use FILE instead of /etc/attune (development)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="run a simulated session end to end on emulated hardware")
    d.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    d.add_argument("--minutes", type=float, default=20.0, help="session length (default 20)")
    d.add_argument("--goal", choices=("relax", "sleep"), default="relax")
    d.add_argument("--seed", type=int, default=0, help="the virtual listener's seed")

    sub.add_parser("run", help="run the service (one session now, with the configured drivers)")

    c = sub.add_parser("config", help="check or show the configuration")
    csub = c.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    ck = csub.add_parser("check", help="validate a config file (or the installed one)")
    ck.add_argument("file", nargs="?", type=Path)
    sh = csub.add_parser("show", help="print the effective configuration")
    sh.add_argument("--changed", action="store_true", help="only what differs from defaults")

    s = sub.add_parser("sessions", help="list, show or export recorded sessions")
    ssub = s.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    ssub.add_parser("list", help="list sessions")
    show = ssub.add_parser("show", help="show one session's record and decisions")
    show.add_argument("id", type=int)
    ex = ssub.add_parser("export", help="export a session as CSV files and a report PNG")
    ex.add_argument("id", type=int)
    ex.add_argument("--to", type=Path, default=Path("."), help="destination folder")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",  # journald adds the timestamps
        stream=sys.stderr,
    )
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"attune: configuration is not valid:\n{exc}", file=sys.stderr)
        return 1
    except (MusicUnavailable, AudioDeviceMissing, SensorNotFound) as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nattune: interrupted; the session is recorded as interrupted.", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from appliance.demo import run_demo

        return run_demo(args.out, minutes=args.minutes, goal=args.goal, seed=args.seed)
    if args.command == "config":
        from appliance.config import check_command, show_command

        if args.config_command == "check":
            code, text = check_command(args.file or args.config, ETC_DIR)
            print(text, file=sys.stdout if code == 0 else sys.stderr)
            return code
        print(show_command(load_config(args.config, etc_dir=ETC_DIR), args.changed))
        return 0
    config = load_config(args.config, etc_dir=ETC_DIR)
    if args.command == "run":
        from appliance.service import run_service

        return run_service(config)
    if args.command == "sessions":
        return _sessions(args, config)
    raise AssertionError(args.command)


def _sessions(args: argparse.Namespace, config) -> int:
    from appliance.app import DB_NAME
    from appliance.store.db import Store

    with Store(Path(config.device.state_dir) / DB_NAME) as store:
        if args.sessions_command == "list":
            rows = store.sessions()
            if not rows:
                print("No sessions recorded.")
            for r in rows:
                minutes = (r.duration_s or 0) / 60
                print(
                    f"{r.id:>5}  {r.started_wall}  {r.listener_id or '-':<16} {r.goal:<6} "
                    f"{minutes:5.1f} min  {r.status}"
                )
            return 0
        try:
            row = store.session(args.id)
        except KeyError as exc:
            print(f"attune: {exc.args[0]}", file=sys.stderr)
            return 1
        if args.sessions_command == "show":
            print(json.dumps(row.__dict__, indent=2, default=str))
            for d in store.decisions(args.id):
                print(
                    f"{d['t_s'] / 60:6.1f} min  {d['phase']:<11} {d['tempo_bpm']:5.0f} BPM  "
                    f"{d['reason']}"
                )
            return 0
        from appliance.report.session_png import render_session_png
        from appliance.store.export import export_session_csv

        args.to.mkdir(parents=True, exist_ok=True)
        paths = export_session_csv(store, args.id, args.to)
        paths.append(render_session_png(store, args.id, args.to / f"session-{args.id}.png"))
        for path in paths:
            print(path)
        return 0


if __name__ == "__main__":
    sys.exit(main())
