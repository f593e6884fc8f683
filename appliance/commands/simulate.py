"""attune simulate: policies against a population of virtual listeners, accelerated."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

NAME = "simulate"
HELP = "compare sequencer policies on virtual listeners (accelerated sessions)"
POLICIES = ("adaptive", "rules", "fixed", "random")
RECORDED_POLICIES = ("adaptive", "rules", "compare")


def _policies(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in (*POLICIES, "compare")]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"policies are a comma-separated choice of {', '.join(POLICIES)} (or, with "
            f"--record, compare), not {text!r}"
        )
    return chosen


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listeners", type=int, default=3, help="virtual listeners (default 3)")
    p.add_argument("--sessions", type=int, default=2, help="sessions per listener (default 2)")
    p.add_argument(
        "--policy",
        type=_policies,
        default=None,
        help="adaptive, rules, fixed, random, or several comma-separated (default: all); "
        "with --record one of adaptive (default), rules (the fixed U-sequence) or compare "
        "(each session drawn at random between the two, as for a listener in the comparison)",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="keep the sessions in the device's store (device.state_dir), one a day up to "
        "today, as listeners sim-0000, sim-0001…: then `attune listeners report sim-0000` and "
        "`attune outcomes compare` read them",
    )
    p.add_argument(
        "--listener-model",
        metavar="MODULE.py:FACTORY",
        help="bring your own listeners: FACTORY(index, session, seed) -> listener "
        "(docs/listener-models.md); default: the built-in population",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")


def run(args: argparse.Namespace) -> int:
    from appliance.simulate.harness import load_factory
    from appliance.simulate.runner import report_lines, simulate

    if args.listeners < 1 or args.sessions < 1:
        print("attune simulate: --listeners and --sessions must be at least 1", file=sys.stderr)
        return 2
    try:
        load_factory(args.listener_model)  # a bad module path fails here, before any work
    except (ValueError, OSError, ImportError) as exc:
        print(f"attune simulate: listener model: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("appliance.session.loop").setLevel(logging.WARNING)  # one line per segment
    if args.record:
        return _record(args)
    args.policy = args.policy or list(POLICIES)
    if "compare" in args.policy:
        print("attune simulate: the compare policy is for --record runs", file=sys.stderr)
        return 2
    start = time.perf_counter()
    summary = simulate(
        listeners=args.listeners,
        sessions=args.sessions,
        policies=args.policy,
        model=args.listener_model,
        seed=args.seed,
        workers=args.workers,
    )
    for line in report_lines(summary):
        print(line)
    print(f"({time.perf_counter() - start:.1f} s)")
    print(json.dumps(summary.as_dict(), sort_keys=True))
    return 0


def _record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from appliance.app import DB_NAME
    from appliance.commands import config_from
    from appliance.simulate.record import record_sessions
    from appliance.store.db import Store

    policy = args.policy or ["adaptive"]
    if len(policy) != 1 or policy[0] not in RECORDED_POLICIES:
        print(
            f"attune simulate: --record plays one policy: {', '.join(RECORDED_POLICIES)}",
            file=sys.stderr,
        )
        return 2
    path = Path(config_from(args).device.state_dir) / DB_NAME
    start = time.perf_counter()
    with Store(path) as store:
        records = record_sessions(
            store,
            listeners=args.listeners,
            sessions=args.sessions,
            policy=policy[0],
            seed=args.seed,
            model=args.listener_model,
        )
    for r in records:
        print(
            f"sim-{r.listener:04d} session {r.session + 1:>3}  {r.policy:<8} {r.status:<10} "
            f"true arousal fell {r.reduction:+.3f}"
        )
    print(f"{len(records)} sessions recorded in {path} ({time.perf_counter() - start:.1f} s)")
    return 0
