"""A directory of recorded sessions (E4 layout) → per-subject windows with labels.

Any folder below the root holding BVP.csv and EDA.csv is one subject. Labels come from a
Stress-Predict per-second file found anywhere below the root (or given), else from the
subject folder's own labels.csv (see models.labels). Replaying through the stream
is the slow part (seconds per hour of recording), so results may be cached by content hash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

import appliance.signals
from appliance.signals.features import WindowFeatures
from models import labels as lab
from models.e4 import load_e4
from models.replay import ReplaySettings, replay_e4

log = logging.getLogger(__name__)

STRESS_PREDICT_LABELS = "Improved_All_Combined_hr_rsp_binary.csv"
SUBJECT_LABELS = "labels.csv"
CACHE_VERSION = "1"
WINDOW_FIELDS = tuple(f.name for f in fields(WindowFeatures))


@dataclass(frozen=True)
class SubjectWindows:
    name: str
    windows: list[WindowFeatures]
    labels: np.ndarray  # per window: 1.0 stress, 0.0 not, NaN unlabelled
    episode: np.ndarray  # per window: 0 not stress, else the stress episode's number
    # per second from the recording's start: 1.0 stress, 0.0 not, NaN unlabelled (the phases
    # of models.studies come from it)
    per_second: np.ndarray | None = None

    @property
    def n_labelled(self) -> int:
        return int(np.count_nonzero(np.isfinite(self.labels)))


def discover_subjects(root: Path) -> list[Path]:
    """Every folder below `root` (or root itself) holding BVP.csv and EDA.csv, sorted."""
    found = [d for d, files in _walk(root) if "BVP.csv" in files and "EDA.csv" in files]
    return sorted(found, key=lambda p: str(p))


def subject_names(folders: list[Path]) -> list[str]:
    """A name per subject folder for reports: its path below the folders' common parent, so
    studies that keep each person's files in a folder of the same name (P01/E4, P02/E4) still
    tell people apart; S07 stays S07."""
    if len(folders) < 2:
        return [f.name for f in folders]
    common = Path(os.path.commonpath([str(f) for f in folders]))
    # The study folder itself may hold a subject's files, beside the other subjects' folders.
    return [f.relative_to(common).as_posix() if f != common else f.name for f in folders]


def find_stress_predict_labels(root: Path) -> Path | None:
    hits = sorted(
        d / STRESS_PREDICT_LABELS for d, files in _walk(root) if STRESS_PREDICT_LABELS in files
    )
    return hits[0] if hits else None


def _walk(root: Path):
    """(folder, file names) below root, following symlinked folders (shared data often is)."""
    for dirpath, _, filenames in os.walk(Path(root), followlinks=True):
        yield Path(dirpath), set(filenames)


def subject_number(folder: Path) -> int | None:
    """The participant number in a folder name such as S07 or subject_12."""
    m = re.search(r"(\d+)\s*$", folder.name)
    return int(m.group(1)) if m else None


def load_directory(
    root: Path,
    *,
    labels_file: Path | None = None,
    cache_dir: Path | None = None,
    settings: ReplaySettings | None = None,
    workers: int = 1,
) -> list[SubjectWindows]:
    """Every labelled subject below `root`; subjects without labels are skipped with a log line."""
    settings = settings or ReplaySettings()
    labels_file = labels_file or find_stress_predict_labels(root)
    table = lab.read_stress_predict_labels(labels_file) if labels_file else None
    folders = discover_subjects(root)
    jobs = [
        (folder, name, table, labels_file, cache_dir, settings)
        for folder, name in zip(folders, subject_names(folders), strict=True)
    ]
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_load_job, jobs))
    else:
        results = [_load_job(j) for j in jobs]
    return [r for r in results if r is not None]


def _load_job(job) -> SubjectWindows | None:
    folder, name, table, labels_file, cache_dir, settings = job
    try:
        return load_subject(folder, table, labels_file, cache_dir, settings, name)
    except (OSError, ValueError) as exc:
        log.warning("%s skipped: %s", folder, exc)
        return None


def load_subject(
    folder: Path,
    table: dict[int, tuple[np.ndarray, np.ndarray]] | None,
    labels_file: Path | None,
    cache_dir: Path | None,
    settings: ReplaySettings,
    name: str | None = None,
) -> SubjectWindows | None:
    rec = load_e4(folder)
    duration = max(rec.bvp.size / rec.bvp_fs, rec.eda.size / rec.eda_fs if rec.eda_fs else 0.0)
    per_second = _per_second_labels(folder, table, rec.start_unix, duration)
    if per_second is None or not np.isfinite(per_second).any():
        log.warning("%s has no labels; skipped", folder)
        return None
    windows = _cached_windows(folder, cache_dir, settings, lambda: replay_e4(rec, settings))
    t_end = np.array([w.t_end for w in windows])
    span = np.array([w.window_s for w in windows])
    window_label = lab.window_labels(per_second, t_end, span)
    episodes = lab.stress_episode_index(per_second)
    idx = np.clip(np.floor(t_end - span / 2).astype(np.int64), 0, max(0, episodes.size - 1))
    episode = episodes[idx] if episodes.size else np.zeros(len(windows), dtype=np.int64)
    return SubjectWindows(
        name or folder.name, windows, window_label, episode * (window_label == 1), per_second
    )


def _per_second_labels(folder, table, start_unix, duration) -> np.ndarray | None:
    own = folder / SUBJECT_LABELS
    if own.exists():
        return lab.per_second_from_intervals(lab.read_interval_labels(own), duration)
    number = subject_number(folder)
    if table is not None and number is not None and number in table:
        times, values = table[number]
        return lab.per_second_from_clock(times, values, start_unix, duration)
    return None


def _cached_windows(folder: Path, cache_dir: Path | None, settings: ReplaySettings, compute):
    if cache_dir is None:
        return compute()
    path = Path(cache_dir) / f"{folder.name}-{_cache_key(folder, settings)}.npz"
    if path.exists():
        data = np.load(path)
        columns = [data[name] for name in WINDOW_FIELDS]
        return [_window_from_row(row) for row in zip(*columns, strict=True)]
    windows = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **{n: np.array([getattr(w, n) for w in windows]) for n in WINDOW_FIELDS})
    tmp.replace(path)
    return windows


def _window_from_row(row) -> WindowFeatures:
    values: dict[str, Any] = {k: float(v) for k, v in zip(WINDOW_FIELDS, row, strict=True)}
    values["n_beats"] = int(values["n_beats"])
    values["irregular_rhythm"] = bool(values["irregular_rhythm"])
    return WindowFeatures(**values)


def _cache_key(folder: Path, settings: ReplaySettings) -> str:
    """Content of the inputs and of the code that turns them into features."""
    h = hashlib.sha256(f"{CACHE_VERSION}|{settings}".encode())
    for name in ("BVP.csv", "EDA.csv"):
        h.update(hashlib.sha256((folder / name).read_bytes()).digest())
    signals = Path(appliance.signals.__file__).resolve().parent
    replay_code = [Path(__file__).with_name(name) for name in ("e4.py", "replay.py")]
    for src in [*sorted(signals.glob("*.py")), *replay_code]:
        h.update(src.read_bytes())
    return h.hexdigest()[:16]
