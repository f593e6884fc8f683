"""Classification metrics in plain numpy (the device has no scikit-learn), per window and per
subject, with confidence intervals that resample subjects, not windows (windows of one person
are far from independent)."""

from __future__ import annotations

import math

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
CI_LEVEL = 0.95
CI_METRICS = ("balanced_accuracy", "sensitivity", "specificity", "macro_f1", "auroc")


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    recalls = [r for r in (recall(y, pred, c) for c in (False, True)) if math.isfinite(r)]
    return float(np.mean(recalls)) if recalls else math.nan


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    scores = []
    for c in (False, True):
        if not np.any(y == c):
            continue
        tp = np.sum((pred == c) & (y == c))
        fp = np.sum((pred == c) & (y != c))
        fn = np.sum((pred != c) & (y == c))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else math.nan


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties count half); NaN with one class."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size)
    sorted_scores = score[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def recall(y: np.ndarray, pred: np.ndarray, cls: bool) -> float:
    """Share of class `cls` windows predicted as `cls`: sensitivity for stress (True),
    specificity for not stress (False); NaN when the class is absent."""
    y, pred = np.asarray(y).astype(bool), np.asarray(pred).astype(bool)
    return float(np.mean(pred[y == cls] == cls)) if np.any(y == cls) else math.nan


def summary(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    pred = np.asarray(score) >= threshold
    return {
        "balanced_accuracy": balanced_accuracy(y, pred),
        "sensitivity": recall(y, pred, True),
        "specificity": recall(y, pred, False),
        "macro_f1": macro_f1(y, pred),
        "auroc": auroc(y, score),
        "n_windows": len(y),
        "stress_share": float(np.mean(np.asarray(y).astype(bool))) if len(y) else math.nan,
    }


def per_subject(
    subjects: list[tuple[np.ndarray, np.ndarray]], threshold: float
) -> dict[str, list[float]]:
    """Each subject's metrics, from (labels, scores) pairs."""
    out: dict[str, list[float]] = {"balanced_accuracy": [], "macro_f1": [], "auroc": []}
    for y, s in subjects:
        m = summary(y, s, threshold)
        for k in out:
            out[k].append(m[k])
    return out


def mean_sd(values: list[float]) -> tuple[float, float]:
    v = np.array([x for x in values if math.isfinite(x)])
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def subject_bootstrap_ci(
    subjects: list[tuple[np.ndarray, np.ndarray]],
    threshold: float,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of the pooled metrics, resampling whole subjects."""
    rng = np.random.default_rng(seed)
    n = len(subjects)
    draws: dict[str, list[float]] = {k: [] for k in CI_METRICS}
    if n == 0:
        return {k: (math.nan, math.nan) for k in draws}
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        y = np.concatenate([subjects[i][0] for i in pick])
        s = np.concatenate([subjects[i][1] for i in pick])
        m = summary(y, s, threshold)
        for k in draws:
            draws[k].append(m[k])
    lo, hi = (1 - CI_LEVEL) / 2 * 100, (1 + CI_LEVEL) / 2 * 100
    return {
        k: (float(np.nanpercentile(v, lo)), float(np.nanpercentile(v, hi)))
        for k, v in draws.items()
    }


def report(subjects: list[tuple[np.ndarray, np.ndarray]], threshold: float, seed: int = 0) -> dict:
    """Pooled metrics, per-subject mean ± SD, subject-resampled CIs and the majority baseline."""
    subjects = [(np.asarray(y), np.asarray(s)) for y, s in subjects if len(y)]
    if not subjects:
        return {"n_subjects": 0, "n_windows": 0}
    y = np.concatenate([a for a, _ in subjects])
    s = np.concatenate([b for _, b in subjects])
    pooled = summary(y, s, threshold)
    each = per_subject(subjects, threshold)
    majority = bool(np.mean(y) >= 0.5)
    constant = np.full(y.shape, float(majority))
    return {
        "n_subjects": len(subjects),
        **pooled,
        "per_subject": {
            k: dict(zip(("mean", "sd"), mean_sd(v), strict=True)) for k, v in each.items()
        },
        "ci95": {k: list(v) for k, v in subject_bootstrap_ci(subjects, threshold, seed).items()},
        "majority_baseline": {
            "class": int(majority),
            **{k: v for k, v in summary(y, constant, 0.5).items() if k != "n_windows"},
        },
        "threshold": threshold,
    }


def paired_difference(
    first: list[tuple[np.ndarray, np.ndarray]],
    second: list[tuple[np.ndarray, np.ndarray]],
    thresholds: tuple[float, float],
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, tuple[float, float, float]]:
    """Pooled metric of `first` minus that of `second` (the same subjects and windows, two
    models' scores), with a 95% interval resampling subjects for both at once:
    {metric: (difference, low, high)} for balanced accuracy and AUROC."""
    keys = ("balanced_accuracy", "auroc")

    def pooled(pick) -> dict[str, float]:
        out = {}
        y = np.concatenate([first[i][0] for i in pick])
        for k in keys:
            values = []
            for scored, threshold in zip((first, second), thresholds, strict=True):
                s = np.concatenate([scored[i][1] for i in pick])
                values.append(summary(y, s, threshold)[k])
            out[k] = values[0] - values[1]
        return out

    n = len(first)
    if n == 0 or len(second) != n:
        return {k: (math.nan, math.nan, math.nan) for k in keys}
    point = pooled(range(n))
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(resamples):
        d = pooled(rng.integers(0, n, n))
        for k in keys:
            draws[k].append(d[k])
    lo, hi = (1 - CI_LEVEL) / 2 * 100, (1 + CI_LEVEL) / 2 * 100
    return {
        k: (point[k], float(np.nanpercentile(draws[k], lo)), float(np.nanpercentile(draws[k], hi)))
        for k in keys
    }


def median_with_ci(
    values: list[float], seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float, float]:
    """Median of per-subject values and its 95% percentile bootstrap interval (NaN dropped)."""
    v = np.array([x for x in values if math.isfinite(x)])
    if v.size == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = np.median(v[rng.integers(0, v.size, (resamples, v.size))], axis=1)
    lo, hi = (1 - CI_LEVEL) / 2 * 100, (1 + CI_LEVEL) / 2 * 100
    return float(np.median(v)), float(np.percentile(draws, lo)), float(np.percentile(draws, hi))
