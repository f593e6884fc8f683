"""Scores of an arousal estimate over a session's phases, beyond task-vs-rest per window.

Both rules were fixed before any figure was looked at (docs/model.md, round 10):

- **Graded**: per person, the estimate's mean over the windows ending in each phase against
  the stress that person reported for that phase (0-10): Spearman's rank correlation over the
  phases that have both (at least MIN_PHASES; a person whose reports never change has none).
  Summary: the median over people, with a bootstrap interval resampling people.
- **Recovery**: every rest that begins where a stress task ends. The estimate "falls" when its
  mean over the windows ending in the rest's last RECOVERY_SPAN_S is below its mean over the
  windows ending in the task's last RECOVERY_SPAN_S. Summary: the share of rests where it
  falls (interval resampling people with all their rests), and, over the rests where it
  falls, the median time from the task's end to the first window at or below halfway between
  the two means.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from models.metrics import BOOTSTRAP_RESAMPLES, CI_LEVEL, median_with_ci
from models.studies import Session

MIN_PHASES = 4
RECOVERY_SPAN_S = 60.0
ADJACENT_S = 1.0  # a rest "follows" a task when it begins within this of the task's end


def phase_means(session: Session, p: np.ndarray) -> dict[str, float]:
    """Mean estimate over the windows ending in each phase that has any."""
    out = {}
    for k, phase in enumerate(session.phases):
        here = session.phase == k
        if here.any():
            out[phase.name] = float(np.mean(p[here]))
    return out


def graded(sessions: list[Session], predictions: list[np.ndarray], seed: int = 0) -> dict:
    """Within-person Spearman correlation of phase means with self-reports, summarised."""
    per_subject = []
    for s, p in zip(sessions, predictions, strict=True):
        means = phase_means(s, p)
        common = [n for n in means if n in s.self_report and math.isfinite(s.self_report[n])]
        rho = math.nan
        reports = [s.self_report[n] for n in common]
        if len(common) >= MIN_PHASES and len(set(reports)) > 1:
            rho = float(spearmanr([means[n] for n in common], reports).statistic)
        per_subject.append({"subject": s.name, "n_phases": len(common), "rho": rho})
    rhos = [r["rho"] for r in per_subject]
    median, lo, hi = median_with_ci(rhos, seed)
    return {
        "n_subjects": sum(math.isfinite(r) for r in rhos),
        "median_rho": median,
        "ci95": [lo, hi],
        "share_positive": _share([r > 0 for r in rhos if math.isfinite(r)]),
        "per_subject": per_subject,
    }


@dataclass(frozen=True)
class Recovery:
    subject: str
    task: str
    rest: str
    before: float  # mean estimate, task's last minute
    after: float  # mean estimate, rest's last minute
    halfway_s: float  # task end → first window at or below halfway (NaN unless it falls)

    @property
    def falls(self) -> bool:
        return self.after < self.before


def recoveries(session: Session, p: np.ndarray) -> list[Recovery]:
    """Every rest that begins where a stress task ends, with both ends scored."""
    out = []
    phases = session.phases
    for task, rest in itertools.pairwise(phases):
        if task.label != 1 or rest.label != 0 or rest.start_s - task.end_s > ADJACENT_S:
            continue
        t = session.t_end
        in_task = (t > task.end_s - RECOVERY_SPAN_S) & (t <= task.end_s)
        in_rest_end = (t > rest.end_s - RECOVERY_SPAN_S) & (t <= rest.end_s)
        if not (in_task.any() and in_rest_end.any()):
            continue
        before, after = float(np.mean(p[in_task])), float(np.mean(p[in_rest_end]))
        halfway_s = math.nan
        if after < before:
            level = (before + after) / 2
            later = np.flatnonzero((t > task.end_s) & (t <= rest.end_s) & (p <= level))
            if later.size:
                halfway_s = float(t[later[0]] - task.end_s)
        out.append(Recovery(session.name, task.name, rest.name, before, after, halfway_s))
    return out


def recovery(sessions: list[Session], predictions: list[np.ndarray], seed: int = 0) -> dict:
    """Share of rests where the estimate falls, and the median time to fall halfway."""
    per_subject = [recoveries(s, p) for s, p in zip(sessions, predictions, strict=True)]
    every = [r for rs in per_subject for r in rs]
    rng = np.random.default_rng(seed)
    n = len(per_subject)
    draws = []
    for _ in range(BOOTSTRAP_RESAMPLES if n else 0):
        picked = [r for i in rng.integers(0, n, n) for r in per_subject[i]]
        draws.append(_share([r.falls for r in picked]))
    lo, hi = (1 - CI_LEVEL) / 2 * 100, (1 + CI_LEVEL) / 2 * 100
    finite = [d for d in draws if math.isfinite(d)]
    interval = (
        [float(np.percentile(finite, lo)), float(np.percentile(finite, hi))]
        if finite
        else [math.nan, math.nan]
    )
    half = median_with_ci([r.halfway_s for r in every if r.falls], seed)
    drop = median_with_ci([r.before - r.after for r in every], seed)
    by_task: dict[str, list[bool]] = {}
    for r in every:
        by_task.setdefault(r.task, []).append(r.falls)
    return {
        "n_rests": len(every),
        "n_subjects": sum(1 for rs in per_subject if rs),
        "share_falls": _share([r.falls for r in every]),
        "ci95": interval,
        "median_halfway_s": half[0],
        "halfway_ci95": [half[1], half[2]],
        "median_drop": drop[0],
        "drop_ci95": [drop[1], drop[2]],
        "by_task": {k: {"n": len(v), "share_falls": _share(v)} for k, v in by_task.items()},
    }


def _share(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else math.nan
