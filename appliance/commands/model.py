"""attune model train|eval: the affect classifier (see docs/model.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

NAME = "model"
HELP = "train the affect model, or evaluate the shipped one on labelled recordings"

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="model_command", required=True, metavar="{train,eval}")
    t = sub.add_parser("train", help="retrain on Stress-Predict (needs pip install -e '.[train]')")
    t.add_argument("--data", type=Path, default=None, help="the Stress-Predict folder")
    t.add_argument("--out", type=Path, default=None, help="where affect.tflite/json go")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--skip-eval", action="store_true", help="skip leave-one-subject-out")
    t.add_argument("--workers", type=int, default=None, help="evaluation folds side by side")
    e = sub.add_parser(
        "eval", help="metrics of the shipped model and its transparent peer on recordings"
    )
    e.add_argument("--data", type=Path, default=None, help="recordings in the E4 layout")
    e.add_argument(
        "--cross",
        type=Path,
        nargs=2,
        metavar=("STUDY_A", "STUDY_B"),
        default=None,
        help="train on each study, score the other, and pool them leave-one-subject-out "
        "(needs TensorFlow; writes models/EVALUATION.md)",
    )
    e.add_argument(
        "--peer", type=Path, default=None, help="the peer's .json (default: models/peer.json)"
    )
    e.add_argument("--model", type=Path, default=None, help="a .tflite (its .json beside it)")
    e.add_argument("--labels", type=Path, default=None, help="a Stress-Predict labels file")
    e.add_argument("--cache", type=Path, default=None, help="cache replayed windows here")
    e.add_argument("--workers", type=int, default=1, help="subjects replayed in parallel")


def run(args: argparse.Namespace) -> int:
    if args.model_command == "train":
        return _train(args)
    return _eval(args)


def _train(args: argparse.Namespace) -> int:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        print("attune model train needs TensorFlow: pip install -e '.[train]'", file=sys.stderr)
        return 2
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # models/ lives beside the package
    from models import train

    argv = ["--seed", str(args.seed)]
    if args.data:
        argv += ["--data", str(args.data)]
    if args.out:
        argv += ["--out", str(args.out)]
    if args.skip_eval:
        argv.append("--skip-eval")
    if args.workers:
        argv += ["--workers", str(args.workers)]
    return train.main(argv)


def _cross(args: argparse.Namespace) -> int:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        print(
            "attune model eval --cross trains the network: pip install -e '.[train]'",
            file=sys.stderr,
        )
        return 2
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # models/ lives beside the package
    from models import evaluate_cross

    for folder in args.cross:
        if not folder.is_dir():
            print(f"attune model eval: {folder} is not a directory", file=sys.stderr)
            return 2
    argv = ["--a", str(args.cross[0]), "--b", str(args.cross[1])]
    if args.cache:
        argv += ["--cache", str(args.cache)]
    if args.workers > 1:
        argv += ["--workers", str(args.workers)]
    return evaluate_cross.main(argv)


def _load_peer(path: Path | None):
    """The peer to score beside the model; None (with a warning) when its file is absent."""
    from models import peer

    path = path or peer.DEFAULT_PATH
    try:
        return peer.load(path)
    except FileNotFoundError:
        logging.getLogger(__name__).warning("no peer at %s: the model is scored alone", path)
    except (KeyError, TypeError, ValueError) as exc:
        logging.getLogger(__name__).warning("peer %s unusable (%s): scored alone", path, exc)
    return None


def _eval(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    if args.cross:
        return _cross(args)
    if args.data is None:
        print("attune model eval: give --data DIR (or --cross STUDY_A STUDY_B)", file=sys.stderr)
        return 2
    from appliance.affect.model_runtime import AffectModel, ModelUnavailable
    from models.evaluate_directory import evaluate_directory, side_by_side

    if not args.data.is_dir():
        print(f"attune model eval: {args.data} is not a directory", file=sys.stderr)
        return 2
    try:
        model = AffectModel(args.model)
    except ModelUnavailable as exc:
        print(f"attune model eval: {exc}", file=sys.stderr)
        return 2
    try:
        result = evaluate_directory(
            args.data,
            model,
            labels_file=args.labels,
            cache_dir=args.cache,
            workers=args.workers,
            peer=_load_peer(args.peer),
        )
    except ValueError as exc:
        print(f"attune model eval: {exc}", file=sys.stderr)
        return 2
    if result.get("n_subjects", 0) == 0:
        print(
            f"attune model eval: no labelled subject under {args.data} (see docs/model.md)",
            file=sys.stderr,
        )
        print(json.dumps(result))
        return 1
    print(side_by_side(result))
    print(json.dumps(result))
    return 0
