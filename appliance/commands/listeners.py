"""attune listeners list|check|forget|assess|report: the listener profiles in listeners.dir,
erasure, clinician assessments and the listener's trend report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import config_from
from appliance.vocabulary import check_listener_id

NAME = "listeners"
HELP = (
    "list or check the listener profiles (YAML files in listeners.dir), erase a listener, "
    "record a clinician's assessment, or write a listener's trend report"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list", "check", "forget", "assess", "report"))
    p.add_argument("id", nargs="?", help="forget, assess, report: the listener id")
    p.add_argument("--dir", type=Path, help="profiles folder (default: listeners.dir)")
    p.add_argument("--yes", action="store_true", help="forget: erase without asking")
    p.add_argument(
        "--scale", help="assess: GAD-7 (0-21), PHQ-9 (0-27), agitation (0-10) or CMAI-SF (14-70)"
    )
    p.add_argument("--score", type=float, help="assess: the score on that scale")
    p.add_argument("--date", help="assess: the day it was assessed, YYYY-MM-DD (default: today)")
    p.add_argument(
        "--out", type=Path, default=Path("."), help="report: destination folder (default: here)"
    )
    p.add_argument(
        "--file",
        type=Path,
        help="check: validate this one profile file only (before it is put in place)",
    )


def run(args: argparse.Namespace) -> int:
    from appliance.listeners import load_listeners

    if args.file is not None:
        if args.action != "check":
            print("attune: --file goes with listeners check only", file=sys.stderr)
            return 2
        return _check_file(args.file)
    config = config_from(args)
    directory = args.dir or config.listeners.dir
    if args.action == "forget":
        return _forget(args, Path(config.device.state_dir), directory)
    if args.action in ("assess", "report"):
        if not args.id:
            print(f"attune: listeners {args.action} needs the listener id", file=sys.stderr)
            return 2
        try:
            check_listener_id(args.id)
        except ValueError as exc:
            print(f"attune: {exc}", file=sys.stderr)
            return 2
        if args.action == "assess":
            return _assess(args, Path(config.device.state_dir))
        return _report(args, Path(config.device.state_dir), config.device.timezone)
    if not directory.is_dir():
        # The service reads a missing folder as "no profiles"; a check that says so too would
        # pass a misspelt listeners.dir, so here it is an error.
        what = "is not a folder" if directory.exists() else "does not exist"
        print(
            f"attune: the profiles folder {directory} {what} (listeners.dir, or --dir)",
            file=sys.stderr,
        )
        return 1
    profiles, problems = load_listeners(directory)
    if args.action == "check":
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{directory}: {len(profiles)} profile(s) valid, {len(problems)} problem(s)")
        _erase_withdrawn(profiles, Path(config.device.state_dir))
        return 1 if problems else 0
    print(f"{'id':<12} {'goal':<6} {'min':>4}  {'consent':<12} {'wearable':<17} flags")
    for p in profiles:
        minutes = "-" if p.session_min is None else f"{p.session_min:g}"
        consent = f"yes {p.consent.date}" if p.consent.given else "no"
        flags = [n for n in ("default", "dementia", "breathing_guide") if getattr(p, n)]
        if p.schedule:
            flags.append(f"{len(p.schedule)} slot(s)")
        print(
            f"{p.id:<12} {p.goal:<6} {minutes:>4}  {consent:<12} {p.wearable or '-':<17} "
            f"{', '.join(flags)}"
        )
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    return 0


def _check_file(path: Path) -> int:
    """One profile on its own, read and validated like the service would; nothing else is
    touched (no configuration read, nothing erased): what a deployment tool runs on a file
    before putting it in place."""
    from appliance.listeners.profile import parse_profile

    profile, problems = parse_profile(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if profile is None or problems:
        return 1
    print(f"{path}: profile {profile.id} valid")
    return 0


def _open_store(state_dir: Path):
    """The device's store, or None when there is no database yet (nothing to erase in it)."""
    from appliance.app import DB_NAME
    from appliance.store.db import Store

    path = state_dir / DB_NAME
    return Store(path) if path.exists() else None


def _erase_withdrawn(profiles, state_dir: Path) -> None:
    """A profile that says no consent while data is kept under its id: erase that data."""
    from appliance.listeners.erasure import honour_withdrawn_consent

    store = _open_store(state_dir)
    if store is None:
        return
    with store:
        for erased in honour_withdrawn_consent(profiles, store, state_dir):
            print(f"consent withdrawn for {erased.listener_id}: erased {erased.describe()}")


def _forget(args: argparse.Namespace, state_dir: Path, directory: Path) -> int:
    from appliance.listeners.erasure import forget_listener

    if not args.id:
        print(
            "attune: listeners forget needs the listener id (attune listeners forget ID)",
            file=sys.stderr,
        )
        return 2
    try:
        check_listener_id(args.id)
    except ValueError as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 2
    if not args.yes:
        question = (
            f"Erase every trace of listener {args.id} on this device (sessions, physiology, "
            "learning, personal music, exports)? This cannot be undone. Type yes: "
        )
        try:
            answer = input(question)
        except EOFError:
            print(
                "\nattune: not erased: no answer (standard input is closed); "
                "add --yes to erase without asking",
                file=sys.stderr,
            )
            return 1
        if answer.strip().lower() != "yes":
            print("attune: not erased", file=sys.stderr)
            return 1
    store = _open_store(state_dir)
    try:
        erased = forget_listener(store, state_dir, args.id)
    finally:
        if store is not None:
            store.close()
    print(f"listener {args.id}: erased {erased.describe()}")
    for label, n in erased.counts.items():
        print(f"  {label:<20} {n}")
    from appliance.listeners import load_listeners

    if any(p.id == args.id for p in load_listeners(directory)[0]):
        print(
            f"a profile for {args.id} is still in {directory}: delete it too, or the "
            "listener's next session (with consent) starts a new record"
        )
    return 0


def _assess(args: argparse.Namespace, state_dir: Path) -> int:
    from datetime import date

    from appliance.app import DB_NAME
    from appliance.store.assessments import Assessments, scale_named
    from appliance.store.db import Store

    if args.scale is None or args.score is None:
        print(
            "attune: listeners assess needs --scale NAME and --score N "
            "(e.g. attune listeners assess L-0042 --scale GAD-7 --score 9)",
            file=sys.stderr,
        )
        return 2
    try:
        scale = scale_named(args.scale)
    except ValueError as exc:
        print(f"attune: --scale: {exc}", file=sys.stderr)
        return 2
    try:
        on = date.today() if args.date is None else date.fromisoformat(args.date)
    except ValueError:
        print(f"attune: --date: {args.date!r} is not a date like 2026-11-20", file=sys.stderr)
        return 2
    try:
        with Store(state_dir / DB_NAME) as store:
            recorded = Assessments(store).add(args.id, scale, args.score, on)
    except ValueError as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 2
    print(
        f"listener {args.id}: {scale.title} {recorded.score} on {recorded.on} recorded "
        f"(range {scale.low}-{scale.high}, higher is {scale.what})"
    )
    return 0


def _report(args: argparse.Namespace, state_dir: Path, timezone: str) -> int:
    from appliance.app import DB_NAME
    from appliance.clock import zone
    from appliance.report.trend_page import write_listener_report
    from appliance.store.db import Store

    path = state_dir / DB_NAME
    if not path.exists():
        print(f"attune: no sessions recorded yet ({path} does not exist)", file=sys.stderr)
        return 1
    with Store(path) as store:
        if not store.sessions(args.id):
            print(
                f"attune: listener {args.id} has no recorded sessions (see attune sessions list)",
                file=sys.stderr,
            )
            return 1
        for written in write_listener_report(store, args.id, args.out, tz=zone(timezone)):
            print(written)
    return 0
