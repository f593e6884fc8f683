"""`attune model eval`: the shipped model on any directory of labelled recordings (E4 layout).

Needs only the runtime (numpy, scipy, LiteRT): every subject is replayed through the stream,
its model inputs built against its own first calibration minutes, and every labelled window
after the calibration scored by the int8 model.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from appliance.affect.model_features import session_vectors
from appliance.affect.model_runtime import AffectModel
from models import metrics
from models.recordings import load_directory

log = logging.getLogger(__name__)


def evaluate_directory(
    data_dir: Path,
    model: AffectModel,
    *,
    labels_file: Path | None = None,
    cache_dir: Path | None = None,
    workers: int = 1,
) -> dict:
    """Pooled and per-subject metrics of `model` on every labelled subject below `data_dir`."""
    subjects = load_directory(
        Path(data_dir), labels_file=labels_file, cache_dir=cache_dir, workers=workers
    )
    scored: list[tuple[np.ndarray, np.ndarray]] = []
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
        names.append(s.name)
    threshold = model.spec.decision_threshold
    result = metrics.report(scored, threshold)
    result["subjects"] = [
        {"subject": n, **metrics.summary(y, p, threshold)}
        for n, (y, p) in zip(names, scored, strict=True)
    ]
    result["skipped_subjects"] = skipped
    result["model"] = str(model.path)
    return json_safe(result)


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
