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


def _policies(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in POLICIES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"policies are a comma-separated choice of {', '.join(POLICIES)}, not {text!r}"
        )
    return chosen


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listeners", type=int, default=3, help="virtual listeners (default 3)")
    p.add_argument("--sessions", type=int, default=2, help="sessions per listener (default 2)")
    p.add_argument(
        "--policy",
        type=_policies,
        default=list(POLICIES),
        help="adaptive, rules, fixed, random, or several comma-separated (default: all)",
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
