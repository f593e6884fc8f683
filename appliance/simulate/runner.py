"""Run policies over a population of virtual listeners and summarise what they achieved.

Every policy meets the same listeners on the same days (common random numbers: a listener's
session k is drawn from the same seed whatever the policy), so differences are the policies'.
Regret is against the best fixed choice for each listener: the arm with the highest true
arousal reduction in oracle probes of the listener's first and last sessions (rules + that arm
throughout, no sensing noise: the listener's truth).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from appliance.simulate.harness import (
    DEVICE_SIZE,
    SessionRecord,
    probe_listener,
    run_device,
)
from appliance.simulate.tracking import Tracking

POLICY_NAMES = ("adaptive", "rules", "fixed", "random")
LATE_SESSIONS = 3  # "by session K": the mean over the last three sessions, one is too noisy
CLEAR_CHANGE = 0.1  # a true session change this large has a sign worth getting right


@dataclass
class Summary:
    listeners: int
    sessions: int
    seed: int
    reduction_by_session: dict[str, list[float]] = field(default_factory=dict)
    late_reduction: dict[str, float] = field(default_factory=dict)
    cumulative_regret: dict[str, float] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    oracle_best: float = math.nan
    tracking: dict[str, dict[str, float]] = field(default_factory=dict)

    def improvement(self, policy: str, over: str) -> float:
        """Relative gain in late arousal reduction of `policy` over `over`."""
        a, b = self.late_reduction.get(policy), self.late_reduction.get(over)
        if a is None or b is None or not math.isfinite(b) or abs(b) < 1e-9:
            return math.nan
        return (a - b) / abs(b)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "listeners": self.listeners,
            "sessions": self.sessions,
            "seed": self.seed,
            "mean_arousal_reduction_by_session": {
                p: [round(v, 4) for v in vs] for p, vs in self.reduction_by_session.items()
            },
            "late_arousal_reduction": {p: round(v, 4) for p, v in self.late_reduction.items()},
            "cumulative_regret": {p: round(v, 4) for p, v in self.cumulative_regret.items()},
            "safety_violations": self.violations,
            "staff_alerts": self.alerts,
            "oracle_best_fixed_reduction": round(self.oracle_best, 4),
            "estimate_vs_truth": {
                p: {k: round(v, 4) for k, v in t.items()} for p, t in self.tracking.items()
            },
        }
        if "adaptive" in self.late_reduction:
            out["adaptive_improvement"] = {
                p: round(self.improvement("adaptive", p), 4)
                for p in self.late_reduction
                if p != "adaptive"
            }
        return out


def simulate(
    *,
    listeners: int,
    sessions: int,
    policies: Sequence[str] = POLICY_NAMES,
    model: str | None = None,
    seed: int = 0,
    workers: int | None = None,
) -> Summary:
    """All policies × all devices, in worker processes (one per core by default)."""
    indices = list(range(listeners))
    devices = [indices[d : d + DEVICE_SIZE] for d in range(0, listeners, DEVICE_SIZE)]
    tasks = [(p, dev, sessions, seed, model) for p in policies for dev in devices]
    probes = sorted({0, sessions - 1})
    probe_tasks = [(i, probes, seed, model) for i in indices]
    workers = workers or os.cpu_count() or 1
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            device_runs = list(pool.map(run_device, tasks))
            oracle = list(pool.map(probe_listener, probe_tasks))
    else:
        device_runs = [run_device(t) for t in tasks]
        oracle = [probe_listener(t) for t in probe_tasks]
    records = [r for run in device_runs for r in run]
    return summarise(records, oracle, policies, listeners, sessions, seed)


def summarise(
    records: list[SessionRecord],
    oracle: list[dict[str, float]],
    policies: Sequence[str],
    listeners: int,
    sessions: int,
    seed: int,
) -> Summary:
    best = [max(o.values()) if o else math.nan for o in oracle]
    s = Summary(listeners=listeners, sessions=sessions, seed=seed)
    s.oracle_best = float(np.nanmean(best)) if best else math.nan
    for policy in policies:
        mine = [r for r in records if r.policy == policy]
        table = np.full((listeners, sessions), np.nan)
        for r in mine:
            table[r.listener, r.session] = r.reduction
        by_session = np.nanmean(table, axis=0)
        s.reduction_by_session[policy] = [float(v) for v in by_session]
        s.late_reduction[policy] = float(np.nanmean(by_session[-LATE_SESSIONS:]))
        regret = np.nansum(np.asarray(best)[:, None] - table, axis=1)
        s.cumulative_regret[policy] = float(np.mean(regret))
        s.violations[policy] = sum(len(r.violations) for r in mine)
        s.alerts[policy] = sum(r.alerts for r in mine)
        s.examples[policy] = [v for r in mine for v in r.violations][:5]
        s.tracking[policy] = tracking_figures([r.tracking for r in mine if r.tracking])
    return s


def tracking_figures(sessions: Sequence[Tracking]) -> dict[str, float]:
    """How the estimate followed the hidden truth over these sessions: the share whose estimated
    change has the true change's sign (among those where the truth moved by more than
    CLEAR_CHANGE), the median within-session rank correlation, and the entry estimate against
    the true entry (correlation across sessions, mean absolute error; the correlation also
    apart for entries read against the population norm and against the listener's own)."""
    if not sessions:
        return {}
    clear = [t for t in sessions if abs(t.true_change) > CLEAR_CHANGE]
    agree = [np.sign(t.estimated_change) == np.sign(t.true_change) for t in clear]
    entry_est = np.array([t.estimated_entry for t in sessions])
    entry_true = np.array([t.true_entry for t in sessions])
    own = np.array([t.entry_reference > 0 for t in sessions])
    return {
        "sessions": float(len(sessions)),
        "clear_changes": float(len(clear)),
        "sign_agreement": float(np.mean(agree)) if agree else math.nan,
        "rank_correlation": float(np.nanmedian([t.rank_correlation for t in sessions])),
        "entry_correlation": _correlation(entry_est, entry_true),
        "entry_correlation_population": _correlation(entry_est[~own], entry_true[~own]),
        "entry_correlation_own": _correlation(entry_est[own], entry_true[own]),
        "own_reference_sessions": float(own.sum()),
        "entry_error": float(np.mean(np.abs(entry_est - entry_true))),
    }


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    spread = len(x) > 2 and np.std(x) > 0 and np.std(y) > 0
    return float(np.corrcoef(x, y)[0, 1]) if spread else math.nan


def report_lines(s: Summary) -> list[str]:
    lines = [
        f"{s.listeners} virtual listeners × {s.sessions} sessions, seed {s.seed}; "
        f"best fixed choice per listener (oracle) reduces arousal by {s.oracle_best:.3f}",
        f"{'policy':<10} {'late reduction':>15} {'cum. regret':>12} {'violations':>11} "
        f"{'alerts':>7}  reduction per session",
    ]
    for p, values in s.reduction_by_session.items():
        per = " ".join("--" if math.isnan(v) else f"{v:.3f}" for v in values)
        lines.append(
            f"{p:<10} {s.late_reduction[p]:>15.3f} {s.cumulative_regret[p]:>12.3f} "
            f"{s.violations[p]:>11d} {s.alerts[p]:>7d}  {per}"
        )
        lines += [f"    violation: {v}" for v in s.examples[p]]
    if "adaptive" in s.late_reduction:
        for other in s.late_reduction:
            if other != "adaptive":
                gain = s.improvement("adaptive", other)
                lines.append(f"adaptive vs {other}: {gain:+.1%} arousal reduction (late sessions)")
    lines += [
        "the arousal estimate against the listeners' hidden truth:",
        f"{'policy':<10} {'sign of change':>15} {'rank corr.':>11} {'entry corr.':>12} "
        f"{'entry error':>12}   entry corr. read against: population / own earlier sessions",
    ]
    for p, t in s.tracking.items():
        if t:
            sign = f"{t['sign_agreement']:.0%} of {t['clear_changes']:.0f}"
            lines.append(
                f"{p:<10} {sign:>15} {t['rank_correlation']:>11.2f} "
                f"{t['entry_correlation']:>12.2f} {t['entry_error']:>12.3f}   "
                f"{t['entry_correlation_population']:.2f} of "
                f"{t['sessions'] - t['own_reference_sessions']:.0f} / "
                f"{t['entry_correlation_own']:.2f} of {t['own_reference_sessions']:.0f}"
            )
    return lines
