"""The two studies the affect model is measured on, read into one shape for evaluation.

- Stress-Predict (`Raw_data/SXX` + `Processed_data/Improved_All_Combined_hr_rsp_binary.csv`):
  per-second labels on the E4's clock; phases rest, Stroop, rest, interview, rest,
  hyperventilation, rest.
- wearable_stress_v1 (`SXX/labels.csv` in seconds since the BVP start, `Stress_Level_v1.csv`
  beside the subjects): one labels.csv row per phase in protocol order (baseline without its
  first 60 s, Stroop, first rest, TMCT, second rest, real opinion, opposite opinion,
  subtraction), time between them unlabelled; a self-reported stress 0-10 per phase.

Both replay through the same path (models.recordings → models.replay: BVP → the MAX30102's
rate, EDA → the GSR poll rate, the device's 60 s windows every 5 s) and both get the device's
calibration: the windows ending within the recording's first CALIBRATION_S. In
wearable_stress_v1 that is the start of the baseline phase, whose first 60 s are unlabelled
(not scored) but are what a device switched on at that moment would calibrate on; the same
rule as for Stress-Predict, whose recordings also open at rest.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from appliance.affect.model_features import session_vectors
from models import dataset
from models.recordings import (
    SUBJECT_LABELS,
    SubjectWindows,
    discover_subjects,
    find_stress_predict_labels,
    load_directory,
)

log = logging.getLogger(__name__)

STRESS_PREDICT = "stress_predict"
WEARABLE_STRESS_V1 = "wearable_stress_v1"
E4_GENERIC = "e4"
SELF_REPORTS = "Stress_Level_v1.csv"
# Phase names in protocol order, one per labelled run of seconds (wearable_stress_v1: one per
# labels.csv row). A recording with another number of runs gets generic names.
PHASES = {
    STRESS_PREDICT: (
        "Baseline",
        "Stroop",
        "First Rest",
        "Interview",
        "Second Rest",
        "Hyperventilation",
        "Final Rest",
    ),
    WEARABLE_STRESS_V1: (
        "Baseline",
        "Stroop",
        "First Rest",
        "TMCT",
        "Second Rest",
        "Real Opinion",
        "Opposite Opinion",
        "Subtract",
    ),
}


@dataclass(frozen=True)
class Phase:
    name: str
    start_s: float
    end_s: float
    label: int  # 1 stress task, 0 baseline or rest


@dataclass(frozen=True)
class Session:
    """One person's recording as a session begun at its start: every window after the
    calibration, labelled or not (graded and recovery scores use them all)."""

    name: str
    study: str
    x: np.ndarray  # (n, n_features) float32 model inputs
    t_end: np.ndarray  # (n,) seconds since the recording's start
    y: np.ndarray  # (n,) 1.0 stress, 0.0 not, NaN unlabelled (not scored)
    phase: np.ndarray  # (n,) index into phases of the phase the window ends in, -1 none
    phases: tuple[Phase, ...]
    self_report: dict[str, float] = field(default_factory=dict)  # phase name → 0-10

    @property
    def labelled(self) -> np.ndarray:
        return np.isfinite(self.y)

    @property
    def x_labelled(self) -> np.ndarray:
        return self.x[self.labelled]

    @property
    def y_labelled(self) -> np.ndarray:
        return self.y[self.labelled].astype(np.int64)


def detect_layout(root: Path) -> str:
    """Which study's layout `root` has: Stress-Predict's per-second labels file below it,
    wearable_stress_v1's self-report table (or labels.csv in every subject folder), else a
    generic E4 folder."""
    root = Path(root)
    if find_stress_predict_labels(root) is not None:
        return STRESS_PREDICT
    if (root / SELF_REPORTS).exists():
        return WEARABLE_STRESS_V1
    folders = discover_subjects(root)
    if folders and all((f / SUBJECT_LABELS).exists() for f in folders):
        rows = [_n_label_rows(f / SUBJECT_LABELS) for f in folders]
        if all(n == len(PHASES[WEARABLE_STRESS_V1]) for n in rows):
            return WEARABLE_STRESS_V1
    return E4_GENERIC


def _n_label_rows(path: Path) -> int:
    from models.labels import read_interval_labels

    try:
        return len(read_interval_labels(path))
    except (OSError, ValueError):
        return -1


def phases_from_labels(per_second: np.ndarray, names: tuple[str, ...] = ()) -> list[Phase]:
    """Runs of equal labels in per-second labels (NaN = unlabelled, between phases), named by
    `names` in order when their count matches, else "rest k" / "task k"."""
    ps = np.asarray(per_second, dtype=float)
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < ps.size:
        if not math.isfinite(ps[i]):
            i += 1
            continue
        j = i
        while j < ps.size and ps[j] == ps[i]:
            j += 1
        runs.append((i, j, int(ps[i])))
        i = j
    if len(runs) == len(names):
        labels = list(names)
    else:
        counts = {0: 0, 1: 0}
        labels = []
        for _, _, label in runs:
            counts[label] += 1
            labels.append(f"{'task' if label else 'rest'} {counts[label]}")
    return [Phase(n, float(a), float(b), lab) for n, (a, b, lab) in zip(labels, runs, strict=True)]


def read_self_reports(path: Path) -> dict[str, dict[str, float]]:
    """Subject → phase name → self-reported stress, from Stress_Level_v1.csv (a header row of
    phase names, then one row per subject)."""
    out: dict[str, dict[str, float]] = {}
    with Path(path).open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return out
    header = [c.strip() for c in rows[0]]
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        values = {}
        for name, cell in zip(header[1:], row[1:], strict=False):
            try:
                values[name] = float(cell)
            except ValueError:
                continue
        out[row[0].strip()] = values
    return out


def load_study(
    root: Path,
    *,
    cache_dir: Path | None = dataset.DEFAULT_CACHE,
    calibration_s: float = dataset.CALIBRATION_S,
    workers: int = 1,
    labels_file: Path | None = None,
) -> list[Session]:
    """Every labelled subject of the study in `root` (layout detected) as a Session."""
    root = Path(root)
    layout = detect_layout(root)
    reports = read_self_reports(root / SELF_REPORTS) if (root / SELF_REPORTS).exists() else {}
    recordings = load_directory(root, labels_file=labels_file, cache_dir=cache_dir, workers=workers)
    out = []
    for rec in recordings:
        session = to_session(rec, layout, calibration_s, reports.get(Path(rec.name).name, {}))
        if session.labelled.any():
            out.append(session)
        else:
            log.warning("%s: no labelled window after the calibration", rec.name)
    log.info("%s: %s layout, %d subjects", root, layout, len(out))
    return out


def to_session(
    rec: SubjectWindows,
    study: str,
    calibration_s: float = dataset.CALIBRATION_S,
    self_report: dict[str, float] | None = None,
) -> Session:
    """The windows after the calibration, their model inputs, labels and phases."""
    x, mask, _ = session_vectors(rec.windows, calibration_s)
    t_end = np.array([w.t_end for w in rec.windows])[mask]
    phases = tuple(
        phases_from_labels(rec.per_second, PHASES.get(study, ()))
        if rec.per_second is not None
        else ()
    )
    phase = np.full(t_end.size, -1, dtype=np.int64)
    for k, p in enumerate(phases):
        phase[(t_end > p.start_s) & (t_end <= p.end_s)] = k
    return Session(
        name=rec.name,
        study=study,
        x=x,
        t_end=t_end,
        y=rec.labels[mask].astype(float),
        phase=phase,
        phases=phases,
        self_report=dict(self_report or {}),
    )
