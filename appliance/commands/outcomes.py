"""attune outcomes compare [ID]: does the adaptive music help this listener more than the fixed
U-sequence? (the randomised comparison a profile opts into with compare_adaptation: true)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import config_from

NAME = "outcomes"
HELP = "compare the adaptive music with the fixed U-sequence on a listener's randomised sessions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    compare = sub.add_parser(
        "compare",
        help="the difference in calming between the two policies, with its interval",
        description="Each listener in the comparison (compare_adaptation: true in the profile): "
        "the difference in how far arousal fell, adaptive music against the fixed U-sequence, "
        "with a 95%% bootstrap interval and the number of sessions behind it.",
    )
    compare.add_argument("id", nargs="?", help="one listener (default: every one compared)")


def run(args: argparse.Namespace) -> int:
    from appliance.app import DB_NAME
    from appliance.report.compare import compare_listener, compared_listeners
    from appliance.store.db import Store
    from appliance.vocabulary import check_listener_id

    if args.id is not None:
        try:
            check_listener_id(args.id)
        except ValueError as exc:
            print(f"attune: {exc}", file=sys.stderr)
            return 2
    path = Path(config_from(args).device.state_dir) / DB_NAME
    if not path.exists():
        print(f"attune: no sessions recorded yet ({path} does not exist)", file=sys.stderr)
        return 1
    with Store(path) as store:
        ids = [args.id] if args.id is not None else compared_listeners(store)
        if not ids:
            print(
                "No listener is in the comparison yet (compare_adaptation: true in a listener's "
                "profile, with consent, opts them in)."
            )
            return 0
        for n, listener_id in enumerate(ids):
            if n:
                print()
            for line in compare_listener(store, listener_id).lines():
                print(line)
    return 0
