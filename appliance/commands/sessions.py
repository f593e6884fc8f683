"""attune sessions list|show|export: recorded sessions in a clinician's words.

Figures come from the one outcome definition (appliance/report/outcomes.py); times are shown
in device.timezone; `show --json` prints the raw record for a technician.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from appliance.commands import config_from
from appliance.vocabulary import check_listener_id

NAME = "sessions"
HELP = "list, show or export recorded sessions"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _listener(text: str) -> str:
    try:
        return check_listener_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="list sessions, newest last, times in device.timezone")
    show = sub.add_parser("show", help="one session's outcome, music and events")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="the raw record, for a technician")
    ex = sub.add_parser(
        "export",
        help="export outcomes (CSV and FHIR), windows, decisions and reports",
        description="Export one session, one listener's sessions or a date range "
        "(docs/outcomes.md lists every file and column).",
    )
    ex.add_argument("id", type=int, nargs="?", help="one session")
    ex.add_argument("--listener", type=_listener, metavar="ID", help="one listener's sessions")
    ex.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="from this day (local)")
    ex.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="to this day (local)")
    ex.add_argument("--to", type=Path, default=Path("."), help="destination folder")
    ex.add_argument(
        "--reports",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also each consented session's report PNG (default: yes)",
    )


def run(args: argparse.Namespace) -> int:
    from appliance.app import DB_NAME
    from appliance.clock import zone
    from appliance.store.db import Store

    config = config_from(args)
    tz_name = config.device.timezone
    tz = zone(tz_name)
    if args.action == "export":
        problem = _export_problem(args)
        if problem:
            print(f"attune sessions export: {problem}", file=sys.stderr)
            return 2
    with Store(Path(config.device.state_dir) / DB_NAME) as store:
        try:
            if args.action == "list":
                return _list(store, tz)
            if args.action == "show":
                return _show(store, args, tz)
            return _export(store, args, tz, tz_name)
        except KeyError as exc:
            print(f"attune: {exc.args[0]}", file=sys.stderr)
            return 1


def _export_problem(args: argparse.Namespace) -> str | None:
    if args.id is None and args.listener is None and args.since is None and args.until is None:
        return "say what to export: a session ID, --listener ID, or --since/--until dates"
    if args.id is not None and (args.listener or args.since or args.until):
        return "a session ID exports that session alone; drop --listener/--since/--until"
    if args.since and args.until and args.since > args.until:
        return f"--since {args.since} is after --until {args.until}"
    return None


def _list(store, tz) -> int:
    from appliance.report.outcomes import session_outcome
    from appliance.report.words import list_rows

    rows = store.sessions()
    if not rows:
        print("No sessions recorded.")
        return 0
    for line in list_rows([session_outcome(store, r.id) for r in rows], tz):
        print(line)
    return 0


def _show(store, args: argparse.Namespace, tz) -> int:
    from appliance.report.outcomes import session_outcome
    from appliance.report.words import session_text

    row = store.session(args.id)
    decisions, events = store.decisions(args.id), store.events(args.id)
    if args.json:
        raw = {**row.__dict__, "decisions": decisions, "events": events}
        print(json.dumps(raw, indent=2, default=str))
        return 0
    outcome = session_outcome(store, args.id)
    print("\n".join(session_text(outcome, decisions, events, tz, row.planned_s)))
    return 0


def _export(store, args: argparse.Namespace, tz, tz_name: str) -> int:
    from appliance.report.export import NothingToExport, export_sessions

    try:
        paths = export_sessions(
            store,
            args.to,
            session_id=args.id,
            listener_id=args.listener,
            since=args.since,
            until=args.until,
            tz=tz,
            timezone_name=tz_name,
            reports=args.reports,
        )
    except NothingToExport as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0
