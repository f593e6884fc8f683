"""Sequencer benchmarks: decision latency (ours vs the rules-only peer) and the policy
comparison on virtual listeners (adaptive vs rules-only, a fixed playlist and random).

Latency: every `next()` of whole simulated sessions, the adaptive sequencer (rules + masks +
Thompson sampling, with its noise estimate, over a persisted state) against the RuleSequencer
alone, same states; wall
clock (what a listener waits, inflated when other processes share the cores) and this thread's
CPU time (the decision's own cost, whatever else runs).
Memory: tracemalloc peak over the latency runs; ru_maxrss (KiB) for the process at the end.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np

from appliance.affect.baseline import Baseline
from appliance.affect.estimate import AffectEstimate
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.decision import Outcome, SequencerState
from appliance.sequencer.profile import SequencerProfile
from appliance.sequencer.rules import RuleSequencer
from appliance.signals.features import WindowFeatures
from appliance.simulate.feeds import SimulatedLibrary
from appliance.simulate.runner import report_lines, simulate
from appliance.store.bandit_state import LearningStore
from appliance.store.db import MEMORY, Store

SESSIONS = 30
SIM_LISTENERS, SIM_SESSIONS = 5, 8  # small; docs/listener-models.md has the 10 × 10 figures
LATENCY_TARGET_MS = 5.0
BASELINE = Baseline(hr_bpm=80, rmssd_ms=30, scl_us=5, scr_per_min=4)


def _window(t: float, hr: float) -> WindowFeatures:
    return WindowFeatures(
        t_end=t, window_s=60, hr_bpm=hr, rmssd_ms=30, scl_us=5, scr_per_min=4,
        scl_slope_us_per_min=0.0, ppg_quality=0.9, eda_quality=0.9,
    )  # fmt: skip


def _latencies(make) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock ms, thread CPU ms) per decision (next(); observe() is not timed)."""
    rng = np.random.default_rng(0)
    out, cpu = [], []
    for k in range(SESSIONS):
        seq = make(k)
        elapsed, previous = 0.0, None
        while True:
            estimate = AffectEstimate(elapsed, 0.5, float(rng.uniform(0.2, 0.8)), 0.9, 0.9)
            state = SequencerState(
                elapsed_s=elapsed,
                session_s=1200.0,
                estimate=estimate if elapsed >= 180 else None,
                baseline_arousal=0.6 if elapsed >= 180 else None,
                previous=previous,
                hr_bpm=float(rng.uniform(60, 100)),
            )
            start, start_cpu = time.perf_counter(), time.thread_time()
            d = seq.next(state)
            out.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
            if d.duration_s <= 0:
                break
            # Each outcome is learned (not timed), so the next decision pays for solving the
            # updated posterior, as on the device.
            end = elapsed + d.duration_s
            seq.observe(
                Outcome(
                    d, None, None, start_windows=(_window(40.0, 85.0),),
                    end_windows=(_window(end, float(rng.uniform(65, 95))),), baseline=BASELINE,
                )
            )  # fmt: skip
            elapsed, previous = end, d
    return np.asarray(out) * 1000.0, np.asarray(cpu) * 1000.0


def main() -> None:
    store = Store(MEMORY)
    learning = LearningStore(store)
    for i in range(5):  # other listeners on the device: the population prior is read too
        learning.save_state(f"L-{i}", "linear-ts-v1", {"version": 0})

    def ours(k: int) -> AdaptiveSequencer:
        return AdaptiveSequencer(
            profile=SequencerProfile(),
            session_s=1200.0,
            learning=learning,
            listener_id="L-9",
            library=SimulatedLibrary("L-9"),
            seed=k,
        )

    def peer(k: int) -> RuleSequencer:
        return RuleSequencer(session_s=1200.0, seed=k)

    tracemalloc.start()
    mine, mine_cpu = _latencies(ours)
    rules, rules_cpu = _latencies(peer)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"decision latency over {len(mine)} decisions ({SESSIONS} sessions each):")
    for clock, a_ms, b_ms in (("wall", mine, rules), ("cpu", mine_cpu, rules_cpu)):
        for name, q in (("median", 50), ("p99", 99), ("max", 100)):
            a, b = np.percentile(a_ms, q), max(np.percentile(b_ms, q), 1e-6)
            print(
                f"  {clock:<4} {name:<6} adaptive {a:7.3f} ms   rules-only {b:7.3f} ms   "
                f"ratio {a / b:6.1f}×"
            )
    target = f"{LATENCY_TARGET_MS:.0f} ms"
    for clock, a_ms in (("wall-clock", mine), ("CPU", mine_cpu)):
        verdict = "meets" if np.percentile(a_ms, 99) <= LATENCY_TARGET_MS else "MISSES"
        print(f"  {clock} p99 {verdict} the {target} target")
    print(f"  tracemalloc peak {peak / 1e6:.2f} MB")
    store.close()

    start = time.perf_counter()
    summary = simulate(listeners=SIM_LISTENERS, sessions=SIM_SESSIONS, seed=0)
    print(f"\npolicy comparison ({time.perf_counter() - start:.0f} s):")
    for line in report_lines(summary):
        print("  " + line)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS (ru_maxrss, this process) {rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
