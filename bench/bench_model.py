"""The affect model's cost per window: LiteRT int8 inference against its peers, same run.

Figures: one raw interpreter call (quantise, invoke, dequantise) against the same P(stress)
from a numpy logistic regression over the same inputs (the cheapest learned peer); one full
model estimate (context features, standardisation, inference, drift) against one rule
estimate (the fallback it replaces). Peak memory: ru_maxrss growth while loading the
interpreter (native allocations, which tracemalloc cannot see) and tracemalloc's Python peak
over 1000 estimates.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np

from appliance.affect.baseline import Baseline
from appliance.affect.model_estimator import ModelEstimator
from appliance.affect.model_features import FEATURE_NAMES
from appliance.affect.model_runtime import AffectModel
from appliance.affect.peer_estimator import PeerEstimator, PeerSpec
from appliance.affect.rules import RuleEstimator
from appliance.signals.features import WindowFeatures

N_CALLS = 5000
N_ESTIMATES = 1000
TARGET_MS = 0.2


def _window(t: float, rng: np.random.Generator) -> WindowFeatures:
    return WindowFeatures(
        t_end=t, window_s=60.0, hr_bpm=70 + rng.normal(0, 5), rmssd_ms=40 + rng.normal(0, 5),
        sdnn_ms=50.0, n_beats=70, scl_us=2 + rng.normal(0, 0.2), scl_slope_us_per_min=0.0,
        scr_per_min=2.0, ppg_quality=0.9, eda_quality=0.9,
    )  # fmt: skip


def _per_call_ms(fn, n: int) -> float:
    fn()  # warm
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e3


def main() -> None:
    rng = np.random.default_rng(0)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = AffectModel()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    z = rng.normal(0, 1, (1, len(FEATURE_NAMES))).astype(np.float32)
    lite_ms = _per_call_ms(lambda: model.predict_encoded(z), N_CALLS)
    mapped_ms = _per_call_ms(lambda: model.predict(z), N_CALLS)
    w = rng.normal(0, 0.1, len(FEATURE_NAMES)).astype(np.float32)

    def logistic() -> float:
        return float(1.0 / (1.0 + np.exp(-(z[0] @ w))))

    lr_ms = _per_call_ms(logistic, N_CALLS)
    print(f"inference, LiteRT int8 : {lite_ms * 1e3:8.1f} µs  (target ≤ {TARGET_MS * 1e3:.0f} µs)")
    print(f"input map + inference  : {mapped_ms * 1e3:8.1f} µs")
    print(f"inference, numpy logreg: {lr_ms * 1e3:8.1f} µs  ratio ours/peer {lite_ms / lr_ms:.2f}")
    print(f"model inference within target: {lite_ms <= TARGET_MS}")

    calibration = [_window(float(t), rng) for t in range(20, 180, 5)]
    windows = [_window(180.0 + 5 * i, rng) for i in range(N_ESTIMATES)]
    est = ModelEstimator(model, calibration)
    rules = RuleEstimator(Baseline.from_windows(calibration))
    tracemalloc.start()
    start = time.perf_counter()
    for win in windows:
        est.estimate(win)
    model_ms = (time.perf_counter() - start) / N_ESTIMATES * 1e3
    _, model_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    for win in windows:
        rules.estimate(win)
    rules_ms = (time.perf_counter() - start) / N_ESTIMATES * 1e3
    peer = PeerEstimator(PeerSpec.load(), calibration)  # what the device ships
    start = time.perf_counter()
    for win in windows:
        peer.estimate(win)
    peer_ms = (time.perf_counter() - start) / N_ESTIMATES * 1e3
    print(f"estimate, model        : {model_ms * 1e3:8.1f} µs")
    print(
        f"estimate, rules        : {rules_ms * 1e3:8.1f} µs  "
        f"ratio model/rules {model_ms / rules_ms:.2f}"
    )
    print(
        f"estimate, peer (shipped): {peer_ms * 1e3:7.1f} µs  "
        f"ratio peer/rules {peer_ms / rules_ms:.2f}"
    )
    print(
        f"peak memory: interpreter load +{(rss_after - rss_before) / 1024:.1f} MiB (ru_maxrss); "
        f"{N_ESTIMATES} estimates {model_peak / 1024:.0f} KiB Python peak (tracemalloc)"
    )
    print(f"model file {model.path.stat().st_size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
