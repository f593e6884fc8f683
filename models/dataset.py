"""Training and evaluation data: recorded sessions → model inputs and labels, per subject.

Replaying recordings through the stream takes minutes; the windows are cached per subject
under out/model_cache (keyed by the data's and the signal code's content), so retraining and
re-evaluating take seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.affect.model_features import session_vectors
from appliance.affect.recordings import find_stress_predict_labels, load_directory

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "stress_predict"
DEFAULT_CACHE = PROJECT_ROOT / "out" / "model_cache"
CALIBRATION_S = 180.0  # session.calibration_min × 60: the baseline the device has
HYPERVENTILATION_EPISODE = 3  # Stress-Predict: Stroop, interview, hyperventilation


@dataclass(frozen=True)
class SubjectData:
    name: str
    x: np.ndarray  # (n, n_features) float32, windows after calibration with a label
    y: np.ndarray  # (n,) 0/1
    episode: np.ndarray  # (n,) stress episode number, 0 outside stress


def load_subjects(
    data_dir: Path = DEFAULT_DATA,
    cache_dir: Path | None = DEFAULT_CACHE,
    calibration_s: float = CALIBRATION_S,
    workers: int = 2,
) -> list[SubjectData]:
    out = []
    for s in load_directory(Path(data_dir), cache_dir=cache_dir, workers=workers):
        x, mask, _ = session_vectors(s.windows, calibration_s)
        y, episode = s.labels[mask], s.episode[mask]
        keep = np.isfinite(y)
        if keep.any():
            out.append(SubjectData(s.name, x[keep], y[keep].astype(np.int64), episode[keep]))
    return out


def without_episode(subjects: list[SubjectData], episode: int) -> list[SubjectData]:
    """The same subjects with one stress episode's windows removed (the ablation)."""
    return [
        SubjectData(
            s.name,
            s.x[s.episode != episode],
            s.y[s.episode != episode],
            s.episode[s.episode != episode],
        )
        for s in subjects
    ]


def data_fingerprint(data_dir: Path) -> str:
    """SHA-256 over the labels file and every subject's BVP.csv and EDA.csv, in order."""
    data_dir = Path(data_dir)
    h = hashlib.sha256()
    files = []
    labels = find_stress_predict_labels(data_dir)
    if labels:
        files.append(labels)
    files += sorted(data_dir.rglob("BVP.csv")) + sorted(data_dir.rglob("EDA.csv"))
    files += sorted(data_dir.rglob("labels.csv"))
    for f in files:
        h.update(str(f.relative_to(data_dir)).encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
