"""attune signals analyse --e4 DIR [--beats FILE]: per-window features and quality of a
recording in the Empatica E4 layout, through the same pipeline the device runs live."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from appliance.vocabulary import USABLE_QUALITY

NAME = "signals"
HELP = "analyse a recording's physiology: beats, pulse-rate variability, rhythm, breathing, EDA"

COLUMNS = (
    ("t_end", "end_s", "{:7.0f}"),
    ("hr_bpm", "hr", "{:6.1f}"),
    ("rmssd_ms", "rmssd", "{:6.1f}"),
    ("sdnn_ms", "sdnn", "{:6.1f}"),
    ("pnn50_pct", "pnn50", "{:6.1f}"),
    ("breathing_rate_bpm", "breath", "{:6.1f}"),
    ("rr_corrected_share", "fixed", "{:6.2f}"),
    ("irregular_rhythm", "irr", "{:>4}"),
    ("scl_us", "scl", "{:6.2f}"),
    ("scl_slope_us_per_min", "slope", "{:6.3f}"),
    ("scr_per_min", "scr/m", "{:6.1f}"),
    ("ppg_quality", "q_ppg", "{:6.2f}"),
    ("eda_quality", "q_eda", "{:6.2f}"),
    ("quality", "qual", "{:5.2f}"),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = sub.add_parser("analyse", help="print per-window features and quality of a recording")
    a.add_argument("--e4", type=Path, required=True, metavar="DIR", help="E4 session folder")
    a.add_argument("--beats", type=Path, metavar="FILE", help="write beat times (s) here")
    a.add_argument("--window", type=float, default=60.0, help="window length, s (default 60)")
    a.add_argument("--step", type=float, default=60.0, help="window step, s (default 60)")


def _cell(value: float, fmt: str) -> str:
    width = len(fmt.format(0.0))
    if isinstance(value, bool):
        return ("yes" if value else "-").rjust(width)
    return "-".rjust(width) if isinstance(value, float) and math.isnan(value) else fmt.format(value)


def run(args: argparse.Namespace) -> int:
    from models.analyse import analyse_recording
    from models.e4 import load_e4

    try:
        rec = load_e4(args.e4)
    except (FileNotFoundError, ValueError) as exc:
        print(f"attune: cannot read E4 recording {args.e4}: {exc}", file=sys.stderr)
        return 1
    if args.window < 20 or args.step <= 0:
        print("attune: --window must be at least 20 s and --step positive", file=sys.stderr)
        return 2
    result = analyse_recording(
        rec.bvp_blood_volume_up,
        rec.bvp_fs,
        rec.eda,
        rec.eda_fs,
        window_s=args.window,
        step_s=args.step,
    )
    print(" ".join(h.rjust(len(f.format(0.0))) for _, h, f in COLUMNS))
    for w in result.windows:
        d = w.as_dict()
        print(" ".join(_cell(d[k], f) for k, _, f in COLUMNS))
    usable = sum(w.quality >= USABLE_QUALITY for w in result.windows)
    irregular = sum(w.irregular_rhythm for w in result.windows)
    print(
        f"{len(result.windows)} windows, {usable} usable (quality >= {USABLE_QUALITY}), "
        f"{irregular} with an irregular rhythm; {result.beat_times_s.size} beats",
        file=sys.stderr,
    )
    if args.beats is not None:
        args.beats.write_text("".join(f"{t:.4f}\n" for t in result.beat_times_s))
    return 0
