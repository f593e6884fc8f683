"""`attune model eval`: the shipped model on any directory of labelled recordings (E4 layout).

Needs only the runtime (numpy, scipy, LiteRT): every subject is replayed through the stream,
its model inputs built against its own first calibration minutes, and every labelled window
after the calibration scored by the int8 model and, beside it, by the transparent peer
(models/peer.json: a logistic regression on four of the same inputs, trained on the same
study as the shipped model) on the same windows.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from appliance.affect.model_features import session_vectors
from appliance.affect.model_runtime import AffectModel
from models import metrics
from models.peer import Peer
from models.recordings import load_directory
from models.studies import detect_layout

log = logging.getLogger(__name__)


def evaluate_directory(
    data_dir: Path,
    model: AffectModel,
    *,
    labels_file: Path | None = None,
    cache_dir: Path | None = None,
    workers: int = 1,
    peer: Peer | None = None,
) -> dict:
    """Pooled and per-subject metrics of `model` (and of `peer`, on the same windows) on every
    labelled subject below `data_dir`."""
    subjects = load_directory(
        Path(data_dir), labels_file=labels_file, cache_dir=cache_dir, workers=workers
    )
    scored: list[tuple[np.ndarray, np.ndarray]] = []
    peer_scored: list[tuple[np.ndarray, np.ndarray]] = []
    names, skipped = [], []
    calibration_s = model.spec.calibration_s
    for s in subjects:
        x, mask, _ = session_vectors(s.windows, calibration_s)
        y = s.labels[mask]
        keep = np.isfinite(y)
        if not keep.any():
            skipped.append(s.name)
            log.warning(
                "%s: no labelled window after the %.0f s calibration", s.name, calibration_s
            )
            continue
        scored.append((y[keep].astype(np.int64), model.predict(x[keep])))
        if peer is not None:
            peer_scored.append((y[keep].astype(np.int64), peer.predict(x[keep])))
        names.append(s.name)
    threshold = model.spec.decision_threshold
    result = metrics.report(scored, threshold)
    result["subjects"] = [
        {"subject": n, **metrics.summary(y, p, threshold)}
        for n, (y, p) in zip(names, scored, strict=True)
    ]
    result["skipped_subjects"] = skipped
    result["model"] = str(model.path)
    result["layout"] = detect_layout(Path(data_dir))
    if peer is not None and peer_scored:
        result["peer"] = metrics.report(peer_scored, peer.threshold)
        result["peer"]["subjects"] = [
            {"subject": n, **metrics.summary(y, p, peer.threshold)}
            for n, (y, p) in zip(names, peer_scored, strict=True)
        ]
        diff = metrics.paired_difference(scored, peer_scored, (threshold, peer.threshold))
        result["model_minus_peer"] = {k: list(v) for k, v in diff.items()}
    return json_safe(result)


def side_by_side(result: dict) -> str:
    """The model and the peer as a small table, for people (the JSON line is for programs)."""
    keys = ("balanced_accuracy", "auroc", "sensitivity", "specificity")
    lines = [
        f"{result.get('layout', '?')} layout, {result.get('n_subjects', 0)} people, "
        f"{result.get('n_windows', 0)} windows; 95% intervals resample people"
    ]
    lines.append(f"{'':8}" + "".join(f"{k:>26}" for k in keys))
    for name, r in (("model", result), ("peer", result.get("peer"))):
        if not r or not r.get("n_subjects"):
            continue
        cells = []
        for k in keys:
            lo, hi = r["ci95"].get(k, (None, None))
            ci = f"[{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
            cells.append(f"{_fmt(r.get(k))} {ci}".rjust(26))
        lines.append(f"{name:8}" + "".join(cells))
    diff = result.get("model_minus_peer")
    if diff:
        lines.append(
            "model − peer: "
            + ", ".join(
                f"{k} {_fmt(v[0], '+.3f')} [{_fmt(v[1], '+.3f')}, {_fmt(v[2], '+.3f')}]"
                for k, v in diff.items()
            )
        )
    return "\n".join(lines)


def _fmt(v, spec: str = ".3f") -> str:
    return "n/a" if v is None else format(v, spec)


def json_safe(value):
    """NaN and infinities become None (JSON has no NaN); numpy scalars become Python ones."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
