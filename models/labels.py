"""Stress labels for recorded sessions, in the two formats `attune model eval` reads.

1. Stress-Predict's per-second file (`Participant,HR,respr,Time(sec),Label`): one row per
   second, Time on the recording's own clock (UTC unix seconds), Label 1 = stress task.
2. A per-subject `labels.csv` inside the subject's folder: rows `start_s,end_s,label`, seconds
   from the recording's start, label 1 stress, 0 not; an optional header row; seconds covered
   by no row are unlabelled.

Both become a per-second array (index = whole seconds from the recording's start; NaN =
unlabelled), and every analysis window takes the label most of its labelled seconds carry.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

MIN_LABELLED_SHARE = 0.5  # a window with fewer labelled seconds than this gets no label
STRESS_SHARE = 0.5  # a window is "stress" when at least this share of its labelled seconds is


def per_second_from_intervals(
    rows: list[tuple[float, float, int]], duration_s: float
) -> np.ndarray:
    """Per-second labels (NaN = unlabelled) from (start_s, end_s, label) intervals."""
    n = max(0, math.ceil(duration_s))
    labels = np.full(n, np.nan)
    for start, end, label in rows:
        a, b = max(0, math.floor(start)), min(n, math.ceil(end))
        if b > a:
            labels[a:b] = float(label)
    return labels


def read_interval_labels(path: Path) -> list[tuple[float, float, int]]:
    """Rows of a labels.csv; raises ValueError naming the file and line of a bad row."""
    rows: list[tuple[float, float, int]] = []
    with Path(path).open(newline="") as f:
        for line_no, row in enumerate(csv.reader(f), start=1):
            cells = [c.strip() for c in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            try:
                start, end, label = float(cells[0]), float(cells[1]), int(float(cells[2]))
            except (ValueError, IndexError):
                if line_no == 1:
                    continue  # a header row
                raise ValueError(f"{path}:{line_no}: expected start_s,end_s,label: {row}") from None
            if label not in (0, 1) or not end > start:
                raise ValueError(f"{path}:{line_no}: need end_s > start_s and label 0 or 1: {row}")
            rows.append((start, end, label))
    return rows


def read_stress_predict_labels(path: Path) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Participant number → (unix seconds, labels) from Stress-Predict's per-second file."""
    data: dict[int, tuple[list[float], list[float]]] = {}
    with Path(path).open(newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            times, labels = data.setdefault(int(float(row["Participant"])), ([], []))
            times.append(float(row["Time(sec)"]))
            labels.append(float(row["Label"]))
    return {p: (np.asarray(t), np.asarray(lab)) for p, (t, lab) in data.items()}


def per_second_from_clock(
    times_unix: np.ndarray, labels: np.ndarray, start_unix: float, duration_s: float
) -> np.ndarray:
    """Per-second labels (NaN = unlabelled) from labels stamped on the recording's clock."""
    n = max(0, math.ceil(duration_s))
    out = np.full(n, np.nan)
    idx = np.floor(np.asarray(times_unix) - start_unix).astype(np.int64)
    keep = (idx >= 0) & (idx < n)
    out[idx[keep]] = np.asarray(labels, dtype=float)[keep]
    return out


def window_labels(per_second: np.ndarray, t_end: np.ndarray, window_s: np.ndarray) -> np.ndarray:
    """Each window's label (1.0 / 0.0) from per-second labels, NaN when mostly unlabelled."""
    per_second = np.asarray(per_second, dtype=float)
    out = np.full(len(t_end), np.nan)
    for i, (end, span) in enumerate(zip(t_end, window_s, strict=True)):
        a, b = max(0, math.floor(end - span)), min(per_second.size, math.floor(end))
        if b <= a:
            continue
        seconds = per_second[a:b]
        known = seconds[np.isfinite(seconds)]
        if known.size < MIN_LABELLED_SHARE * (math.floor(end) - math.floor(end - span)):
            continue
        out[i] = 1.0 if float(np.mean(known)) >= STRESS_SHARE else 0.0
    return out


def stress_episode_index(per_second: np.ndarray) -> np.ndarray:
    """Per second: 0 outside stress, else the 1-based number of the stress episode it is in
    (Stress-Predict's third episode is the hyperventilation task)."""
    labels = np.nan_to_num(np.asarray(per_second, dtype=float), nan=0.0) > 0.5
    starts = np.diff(np.concatenate(([0], labels.astype(np.int8)))) == 1
    return np.where(labels, np.cumsum(starts), 0)
