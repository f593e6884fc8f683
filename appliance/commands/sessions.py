"""attune sessions list|show|export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from appliance.commands import config_from

NAME = "sessions"
HELP = "list, show or export recorded sessions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="list sessions")
    show = sub.add_parser("show", help="show one session's record and decisions")
    show.add_argument("id", type=int)
    ex = sub.add_parser("export", help="export a session as CSV files and a report PNG")
    ex.add_argument("id", type=int)
    ex.add_argument("--to", type=Path, default=Path("."), help="destination folder")


def run(args: argparse.Namespace) -> int:
    from appliance.app import DB_NAME
    from appliance.store.db import Store

    config = config_from(args)
    with Store(Path(config.device.state_dir) / DB_NAME) as store:
        if args.action == "list":
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
        if args.action == "show":
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
