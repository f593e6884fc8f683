"""Across studies: the network and its transparent peer on people and a lab neither saw.

    python -m models.evaluate_cross [--a STRESS_PREDICT] [--b WEARABLE_STRESS_V1]
    (or: attune model eval --cross A B)

Needs TensorFlow (the `train` extra). Scored identically for the network (today's
architecture and training settings, models.network, unchanged) and the peer (models.peer,
its L2 strength by leave-one-subject-out inside each training side):

(a) train on every labelled person of study A, score study B;
(b) train on B, score A;
(c) leave-one-subject-out over both studies pooled;
(d) graded: within-person Spearman correlation of the estimate's phase means with the
    self-reported stress per phase (studies that have them), by the model trained on the
    other study (and, beside it, the pooled folds);
(e) recovery: for every rest that follows a task, whether the estimate falls from the task's
    last minute to the rest's last minute (models.phase_metrics), by the model trained on the
    other study.

Writes the tables into models/EVALUATION.md (between its cross-study markers) and every
figure as JSON to out/cross_study.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from models import dataset, metrics, network, peer, phase_metrics, studies
from models.cross_report import markdown, write_section
from models.evaluate_directory import json_safe

log = logging.getLogger("models.evaluate_cross")

DEFAULT_B = dataset.DEFAULT_DATA.parent / studies.WEARABLE_STRESS_V1
EVALUATION_MD = Path(__file__).resolve().with_name("EVALUATION.md")
DEFAULT_JSON = dataset.PROJECT_ROOT / "out" / "cross_study.json"

_SESSIONS: list[studies.Session] = []  # a worker's copy, set once by _share


def _share(sessions: list[studies.Session]) -> None:
    global _SESSIONS
    _SESSIONS = sessions


def _job(job: tuple[str, list[int], list[int], int]) -> tuple[str, list[int], list, list, dict]:
    """Train network and peer on sessions `train`, score every window of sessions `test`."""
    name, train, test, seed = job
    start = time.perf_counter()
    side = [_SESSIONS[i] for i in train]
    x = np.concatenate([s.x_labelled for s in side])
    y = np.concatenate([s.y_labelled for s in side])
    model = network.fit_int8(x, y, seed)
    the_peer = peer.train_peer([(s.x_labelled, s.y_labelled) for s in side])
    p_net = [model.predict(_SESSIONS[i].x) for i in test]
    p_peer = [the_peer.predict(_SESSIONS[i].x) for i in test]
    log.info("%s: %d training people, %.0f s", name, len(train), time.perf_counter() - start)
    return name, test, p_net, p_peer, the_peer.as_dict()


def run(
    a: list[studies.Session], b: list[studies.Session], seed: int = network.SEED, workers: int = 1
) -> dict:
    sessions = [*a, *b]
    ia, ib = list(range(len(a))), list(range(len(a), len(sessions)))
    jobs = [("a", ia, ib, seed), ("b", ib, ia, seed)]
    jobs += [
        (f"fold {i}", [j for j in range(len(sessions)) if j != i], [i], seed)
        for i in range(len(sessions))
    ]
    if workers <= 1:
        _share(sessions)
        results = [_job(j) for j in jobs]
    else:
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_share,
            initargs=(sessions,),
        ) as pool:
            results = list(pool.map(_job, jobs))
    by_name = {name: (test, p_net, p_peer, chosen) for name, test, p_net, p_peer, chosen in results}
    pooled_net = [None] * len(sessions)
    pooled_peer = [None] * len(sessions)
    pooled_l2 = []
    for i in range(len(sessions)):
        _, p_net, p_peer, chosen = by_name[f"fold {i}"]
        pooled_net[i], pooled_peer[i] = p_net[0], p_peer[0]
        pooled_l2.append(chosen["l2"])
    study_a, study_b = a[0].study, b[0].study
    out = {
        "studies": {"a": study_a, "b": study_b},
        "n_subjects": {"a": len(a), "b": len(b)},
        "a_to_b": _direction(b, *by_name["a"][1:3], seed, by_name["a"][3]),
        "b_to_a": _direction(a, *by_name["b"][1:3], seed, by_name["b"][3]),
        "pooled_loso": _direction(sessions, pooled_net, pooled_peer, seed, None),
        "pooled_loso_by_study": {
            study_a: _direction(a, pooled_net[: len(a)], pooled_peer[: len(a)], seed, None),
            study_b: _direction(b, pooled_net[len(a) :], pooled_peer[len(a) :], seed, None),
        },
        "pooled_peer_l2": pooled_l2,
        # The honest direction for (d) and (e): the model trained on the other study.
        "graded": {},
        "recovery": {},
    }
    cross = {study_b: (b, by_name["a"]), study_a: (a, by_name["b"])}
    for study, (group, (_, p_net, p_peer, _)) in cross.items():
        if any(s.self_report for s in group):
            lo, hi = (0, len(a)) if group is a else (len(a), len(sessions))
            out["graded"][study] = {
                "cross_study": _pair(phase_metrics.graded, group, p_net, p_peer, seed),
                "pooled_loso": _pair(
                    phase_metrics.graded, group, pooled_net[lo:hi], pooled_peer[lo:hi], seed
                ),
            }
        out["recovery"][study] = _pair(phase_metrics.recovery, group, p_net, p_peer, seed)
    return json_safe(out)


def _pair(score, group, p_net, p_peer, seed) -> dict:
    return {"network": score(group, p_net, seed), "peer": score(group, p_peer, seed)}


def _direction(test: list[studies.Session], p_net, p_peer, seed: int, chosen) -> dict:
    threshold_net = network.THRESHOLDS["decision"]
    scored_net = [(s.y_labelled, p[s.labelled]) for s, p in zip(test, p_net, strict=True)]
    scored_peer = [(s.y_labelled, p[s.labelled]) for s, p in zip(test, p_peer, strict=True)]
    diff = metrics.paired_difference(scored_net, scored_peer, (threshold_net, peer.THRESHOLD), seed)
    return {
        "network": metrics.report(scored_net, threshold_net, seed),
        "peer": metrics.report(scored_peer, peer.THRESHOLD, seed),
        "network_minus_peer": {k: list(v) for k, v in diff.items()},
        "peer_fit": chosen,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="models.evaluate_cross", description=__doc__.splitlines()[0])
    p.add_argument("--a", type=Path, default=dataset.DEFAULT_DATA, help="first study folder")
    p.add_argument("--b", type=Path, default=DEFAULT_B, help="second study folder")
    p.add_argument("--cache", type=Path, default=dataset.DEFAULT_CACHE)
    p.add_argument("--seed", type=int, default=network.SEED)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--markdown", type=Path, default=EVALUATION_MD, help="file to write into")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    a = studies.load_study(args.a, cache_dir=args.cache, workers=args.workers)
    b = studies.load_study(args.b, cache_dir=args.cache, workers=args.workers)
    if len(a) < 3 or len(b) < 3:
        log.error("need at least 3 labelled people in each study (%d, %d)", len(a), len(b))
        return 1
    result = run(a, b, args.seed, args.workers)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    section = markdown(result)
    write_section(args.markdown, section)
    print(section)
    log.info("done in %.0f s", time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
