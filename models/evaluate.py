"""Leave-one-subject-out evaluation of the quantised model itself, written to EVALUATION.md.

Each fold holds one person out entirely: the input map's quantiles, the Keras model and the
int8 conversion see only the others, and the held-out person's windows are scored by the
LiteRT interpreter on the int8 file, as on the device. The per-listener baseline comes from
the first calibration minutes only (what a device has), never from the whole recording. Folds
run in parallel worker processes, TensorFlow on one thread in each; the results do not depend
on the worker count.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from models import dataset, metrics, network

log = logging.getLogger("models.evaluate")

_SUBJECTS: list[dataset.SubjectData] = []  # a worker's copy, set once by _share


def _share(subjects: list[dataset.SubjectData]) -> None:
    global _SUBJECTS
    _SUBJECTS = subjects


Scores = tuple[np.ndarray, np.ndarray]  # (labels, int8 TFLite P(stress)) of one subject


def _fold(i: int, seed: int) -> tuple[np.ndarray, np.ndarray, float, dict[int, np.ndarray]]:
    """(labels, int8 P(stress), seconds, P(stress) for each session start) for held-out
    subject i."""
    start = time.perf_counter()
    rest = [s for j, s in enumerate(_SUBJECTS) if j != i]
    x, y = np.concatenate([s.x for s in rest]), np.concatenate([s.y for s in rest])
    model = network.fit_int8(x, y, seed)
    held_out = _SUBJECTS[i]
    starts = {t: model.predict(sx) for t, (sx, _, _) in held_out.starts.items() if len(sx)}
    return held_out.y, model.predict(held_out.x), time.perf_counter() - start, starts


def loso_scores(
    subjects: list[dataset.SubjectData], seed: int = network.SEED, workers: int = 1
) -> tuple[list[Scores], dict[int, list[Scores]]]:
    """(labels, int8 TFLite P(stress)) for every held-out subject, in order, and the same
    for each session start (dataset.SESSION_STARTS_S)."""
    if workers <= 1:
        _share(subjects)
        results = [_fold(i, seed) for i in range(len(subjects))]
    else:
        # spawn, not fork: TensorFlow's threads do not survive a fork.
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_share,
            initargs=(subjects,),
        ) as pool:
            results = list(pool.map(_fold, range(len(subjects)), [seed] * len(subjects)))
    for i, (y, p, seconds, _) in enumerate(results):
        log.info(
            "fold %2d/%d %s: AUROC %.3f (%.0f s)",
            i + 1,
            len(subjects),
            subjects[i].name,
            metrics.auroc(y, p),
            seconds,
        )
    starts: dict[int, list[Scores]] = {}
    for s, (*_, predicted) in zip(subjects, results, strict=True):
        for t, p in predicted.items():
            starts.setdefault(t, []).append((s.starts[t][1], p))
    return [(y, p) for y, p, _, _ in results], starts


def run_all(
    subjects: list[dataset.SubjectData], seed: int = network.SEED, workers: int = 1
) -> dict:
    threshold = network.THRESHOLDS["decision"]
    scores, starts = loso_scores(subjects, seed, workers)
    ablated = dataset.without_episode(subjects, dataset.HYPERVENTILATION_EPISODE)
    ablated_scores, _ = loso_scores(ablated, seed, workers)
    return {
        "all_tasks": metrics.report(scores, threshold, seed),
        "without_hyperventilation": metrics.report(ablated_scores, threshold, seed),
        "session_starts": [
            {
                "start_s": t,
                "calibration_stress_share": float(np.nanmean([s.starts[t][2] for s in subjects])),
                **metrics.report(starts[t], threshold, seed),
            }
            for t in sorted(starts)
        ],
        "per_subject": [
            {"subject": s.name, **metrics.summary(y, p, threshold)}
            for s, (y, p) in zip(subjects, scores, strict=True)
        ],
    }


# What affect.json keeps of each session start (EVALUATION.md has the rest).
_START_KEYS = (
    "start_s",
    "calibration_stress_share",
    "n_windows",
    "balanced_accuracy",
    "sensitivity",
    "specificity",
    "auroc",
)


def metrics_for_json(results: dict) -> dict:
    if not results:
        return {}
    return {
        "protocol": "leave-one-subject-out, int8 TFLite, baseline = first calibration minutes",
        "all_tasks": _rounded(results["all_tasks"]),
        "without_hyperventilation": _rounded(results["without_hyperventilation"]),
        "session_starts": [
            _rounded({k: r[k] for k in _START_KEYS}) for r in results.get("session_starts", [])
        ],
    }


def _rounded(d):
    if isinstance(d, dict):
        return {k: _rounded(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [_rounded(v) for v in d]
    if isinstance(d, float):
        return round(d, 4)
    return d


def _row(name: str, r: dict) -> str:
    ps, ci = r["per_subject"], r["ci95"]
    cells = [name]
    for k in ("balanced_accuracy", "macro_f1", "auroc"):
        cells.append(
            f"{r[k]:.3f} [{ci[k][0]:.3f}, {ci[k][1]:.3f}] · {ps[k]['mean']:.3f} ± {ps[k]['sd']:.3f}"
        )
    return "| " + " | ".join(cells) + " |"


def write_markdown(path: Path, results: dict, spec: dict) -> None:
    a, b = results["all_tasks"], results["without_hyperventilation"]
    lines = [
        "# Affect model: evaluation",
        "",
        "Generated by `python -m models.train` (`attune model train`); do not edit by hand.",
        "",
        "Protocol: leave-one-subject-out over every labelled Stress-Predict participant "
        f"({a['n_subjects']} people, {a['n_windows']} windows of 60 s every 5 s after the "
        f"{spec['calibration_s']:.0f} s calibration). Each fold fits the input map, Keras model "
        "and int8 conversion on the other people only; the held-out person is scored by the "
        "LiteRT interpreter on the int8 file. The per-person baseline is the median of the "
        "calibration windows only. Threshold "
        f"{a['threshold']} on P(stress).",
        "",
        "Cells: pooled over all windows [95% interval resampling subjects] · "
        "per-subject mean ± SD.",
        "",
        "| | balanced accuracy | macro-F1 | AUROC |",
        "|---|---|---|---|",
        _row("model, all tasks", a),
        _row("model, without hyperventilation", b),
        f"| majority class ({a['majority_baseline']['class']}), all tasks | "
        f"{a['majority_baseline']['balanced_accuracy']:.3f} | "
        f"{a['majority_baseline']['macro_f1']:.3f} | 0.500 |",
        "",
        f"Stress share of windows: {a['stress_share']:.3f} (all tasks), "
        f"{b['stress_share']:.3f} (without hyperventilation).",
        "",
        "Reference (the issue's baselines): 11 hand-made HRV/EDA features, random forest or "
        "logistic regression, same honest protocol: balanced accuracy ≈ 0.65, AUROC ≈ 0.70.",
        "",
        "## Per subject (all tasks)",
        "",
        "| subject | windows | stress share | balanced accuracy | macro-F1 | AUROC |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["per_subject"]:
        lines.append(
            f"| {r['subject']} | {r['n_windows']} | {r['stress_share']:.2f} | "
            f"{r['balanced_accuracy']:.3f} | {r['macro_f1']:.3f} | {r['auroc']:.3f} |"
        )
    lines += _session_starts_section(results.get("session_starts", []))
    lines.append("")
    text = "\n".join(lines)
    kept = _cross_study_section(path)
    path.write_text(text + "\n" + kept + "\n" if kept else text)


def _cross_study_section(path: Path) -> str:
    """The cross-study tables (models.evaluate_cross) already in `path`: retraining rewrites
    the within-study part only; those figures change when that command is run again."""
    from models.cross_report import BEGIN, END

    text = path.read_text() if path.exists() else ""
    if BEGIN not in text or END not in text:
        return ""
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END


def _session_starts_section(starts: list[dict]) -> list[str]:
    """How the model reads a session whose calibration is not at rest: the same folds'
    models score each held-out recording again as if the session had begun later."""
    if not starts:
        return []
    lines = [
        "",
        "## Sessions that begin later",
        "",
        "The model compares the listener with their own calibration minutes. Here each fold's "
        "model also scores the held-out person's recording as if the session had begun later, "
        "so that its calibration falls on later rest, on the Stroop test or on the interview "
        "(as at a bedside where a session begins while the listener is agitated). Nothing "
        "here was trained on: the models are those above, and the first row is their "
        "evaluation (all tasks) again.",
        "",
        "| session begins | calibration minutes in a stress task | windows | balanced accuracy "
        "[95% interval] | sensitivity | specificity | AUROC |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in starts:
        ci = r["ci95"]["balanced_accuracy"]
        begins = "at the start" if r["start_s"] == 0 else f"{r['start_s'] / 60:.0f} min in"
        lines.append(
            f"| {begins} | {r['calibration_stress_share']:.0%} | {r['n_windows']} | "
            f"{r['balanced_accuracy']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] | "
            f"{r['sensitivity']:.3f} | {r['specificity']:.3f} | {r['auroc']:.3f} |"
        )
    return lines
