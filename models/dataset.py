"""Training and evaluation data: recorded sessions → model inputs and labels, per subject.

Replaying recordings through the stream takes minutes; the windows are cached per subject
under out/model_cache (keyed by the data's and the signal code's content), so retraining and
re-evaluating take seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from appliance.affect.model_features import session_vectors
from models.recordings import SubjectWindows, find_stress_predict_labels, load_directory

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "stress_predict"
DEFAULT_CACHE = PROJECT_ROOT / "out" / "model_cache"
CALIBRATION_S = 180.0  # session.calibration_min × 60: the baseline the device has
HYPERVENTILATION_EPISODE = 3  # Stress-Predict: Stroop, interview, hyperventilation
# Sessions cut from each recording as if they had begun this many seconds in, scored only
# (never trained on): the calibration then falls on later rest, on the Stroop test or on the
# interview, as at a bedside where a session may begin while the listener is agitated. 0 is
# the recording as it is, the evaluation's own protocol.
SESSION_STARTS_S = (0, 300, 600, 900, 1200)


@dataclass(frozen=True)
class SubjectData:
    name: str
    x: np.ndarray  # (n, n_features) float32, windows after calibration with a label
    y: np.ndarray  # (n,) 0/1
    episode: np.ndarray  # (n,) stress episode number, 0 outside stress
    # start (s) → the recording as a session begun that far in: (x, y, the calibration's
    # stress share); empty for the ablation
    starts: dict[int, tuple[np.ndarray, np.ndarray, float]] = field(default_factory=dict)


def load_subjects(
    data_dir: Path = DEFAULT_DATA,
    cache_dir: Path | None = DEFAULT_CACHE,
    calibration_s: float = CALIBRATION_S,
    workers: int = 2,
) -> list[SubjectData]:
    out = []
    for recording in load_directory(Path(data_dir), cache_dir=cache_dir, workers=workers):
        begun = {t: session_begun_at(recording, t, calibration_s) for t in SESSION_STARTS_S}
        subject, _ = begun[0]
        if len(subject.y):
            starts = {t: (d.x, d.y, share) for t, (d, share) in begun.items()}
            out.append(replace(subject, starts=starts))
    return out


def session_begun_at(
    recording: SubjectWindows, start_s: float, calibration_s: float = CALIBRATION_S
) -> tuple[SubjectData, float]:
    """The recording as the session that would have begun `start_s` into it (its first
    windows those wholly after the start, its calibration the first `calibration_s` from
    there): the labelled windows after the calibration, and the calibration's stress share."""
    keep = [i for i, w in enumerate(recording.windows) if w.t_end - w.window_s >= start_s]
    shifted = [
        replace(recording.windows[i], t_end=recording.windows[i].t_end - start_s) for i in keep
    ]
    x, mask, _ = session_vectors(shifted, calibration_s)
    labels, episode = recording.labels[keep], recording.episode[keep]
    calibration = labels[~mask]
    share = float(np.nanmean(calibration)) if np.isfinite(calibration).any() else np.nan
    scored = np.isfinite(labels[mask])
    y = labels[mask][scored].astype(np.int64)
    return SubjectData(recording.name, x[scored], y, episode[mask][scored]), share


def without_episode(subjects: list[SubjectData], episode: int) -> list[SubjectData]:
    """The same subjects with one stress episode's windows removed (the ablation)."""
    return [
        SubjectData(
            s.name,
            s.x[s.episode != episode],
            s.y[s.episode != episode],
            s.episode[s.episode != episode],
        )  # the session starts are not re-scored for the ablation
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
