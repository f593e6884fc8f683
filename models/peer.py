"""The transparent peer: logistic regression on four deviations from the calibration.

The network is judged beside a model anyone can read: HR change (%), ln RMSSD ratio, ln SCL
ratio and SCR rate change against the listener's calibration medians, "now" (the same columns
of the network's inputs, so both see the same replay and the same windows), standardised on
the training windows, through an L2-penalised logistic regression fitted by iteratively
reweighted least squares in numpy.

Chosen as the network's own settings were: the classes weighted to balance in training and
the decision at P = 0.5 (network.THRESHOLDS; a threshold learnt from training people did not
hold for the network, docs/model.md round 3). The L2 strength, the one free setting, is
chosen by leave-one-subject-out inside the training side only (best pooled out-of-fold
balanced accuracy; ties go to the stronger penalty).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.affect.model_features import FEATURE_NAMES
from appliance.affect.peer_estimator import CHECKSUM_KEY, parameters_sha256
from models import metrics

INPUTS = ("hr_rel", "ln_rmssd_ratio", "ln_scl_ratio", "scr_delta_per_min")
COLUMNS = tuple(FEATURE_NAMES.index(n) for n in INPUTS)
# Penalty on the standardised coefficients, per training window (sum of weights = n).
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
THRESHOLD = 0.5
MAX_ITER = 50
TOLERANCE = 1e-8
DEFAULT_PATH = Path(__file__).resolve().with_name("peer.json")


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Per-window weights that give both classes equal total weight (as the network's)."""
    y = np.asarray(y)
    pos = float(np.mean(y)) if y.size else 0.5
    return np.where(y == 1, 0.5 / max(pos, 1e-6), 0.5 / max(1 - pos, 1e-6))


def fit_logistic(
    z: np.ndarray, y: np.ndarray, l2: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """Coefficients [intercept, w...] of a weighted L2 logistic regression (intercept not
    penalised) by Newton/IRLS steps."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    a = np.column_stack([np.ones(len(z)), z])
    n = w.sum()
    penalty = np.full(a.shape[1], l2 * n)
    penalty[0] = 0.0
    beta = np.zeros(a.shape[1])
    for _ in range(MAX_ITER):
        p = _sigmoid(a @ beta)
        grad = a.T @ (w * (p - y)) + penalty * beta
        hess = (a * (w * p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(a.shape[1])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.max(np.abs(step))) < TOLERANCE:
            break
    return beta


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(v, -40, 40)))


@dataclass(frozen=True)
class Peer:
    mean: np.ndarray  # per input, training windows
    scale: np.ndarray
    coef: np.ndarray  # [intercept, one per input], on standardised inputs
    l2: float
    threshold: float = THRESHOLD

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(stress) per row of the network's full input vectors (len(FEATURE_NAMES))."""
        z = (np.atleast_2d(x)[:, COLUMNS] - self.mean) / self.scale
        return _sigmoid(self.coef[0] + z @ self.coef[1:])

    def as_dict(self) -> dict:
        return {
            "kind": "logistic regression, classes weighted to balance, L2 on standardised inputs",
            "inputs": list(INPUTS),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "intercept": round(float(self.coef[0]), 6),
            "coefficients": [round(float(v), 6) for v in self.coef[1:]],
            "l2": self.l2,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Peer:
        if list(d["inputs"]) != list(INPUTS):
            raise ValueError(f"peer inputs {d['inputs']} are not {list(INPUTS)}")
        return cls(
            mean=np.asarray(d["mean"], dtype=float),
            scale=np.asarray(d["scale"], dtype=float),
            coef=np.asarray([d["intercept"], *d["coefficients"]], dtype=float),
            l2=float(d["l2"]),
            threshold=float(d["threshold"]),
        )


def fit_peer(x: np.ndarray, y: np.ndarray, l2: float) -> Peer:
    """The peer at one L2 strength on full input rows `x` and labels `y`."""
    return _fit_inputs(np.asarray(x, dtype=float)[:, COLUMNS], y, l2)


def _fit_inputs(raw: np.ndarray, y: np.ndarray, l2: float) -> Peer:
    mean = raw.mean(axis=0)
    scale = np.maximum(raw.std(axis=0), 1e-6)
    coef = fit_logistic((raw - mean) / scale, y, l2, balanced_weights(y))
    return Peer(mean=mean, scale=scale, coef=coef, l2=l2)


def choose_l2(subjects: list[tuple[np.ndarray, np.ndarray]], grid=L2_GRID) -> tuple[float, dict]:
    """The L2 strength with the best pooled out-of-fold balanced accuracy, leave-one-subject-
    out over `subjects` ((x, y) per person, training side only); ties → the stronger penalty.
    Also returns each strength's score."""
    inputs = [(np.asarray(x, dtype=float)[:, COLUMNS], np.asarray(y)) for x, y in subjects]
    scores = {}
    for l2 in grid:
        ys, ps = [], []
        for i, (held_x, held_y) in enumerate(inputs):
            rest = [s for j, s in enumerate(inputs) if j != i]
            peer = _fit_inputs(
                np.concatenate([r for r, _ in rest]), np.concatenate([y for _, y in rest]), l2
            )
            ys.append(held_y)
            ps.append(_sigmoid(peer.coef[0] + ((held_x - peer.mean) / peer.scale) @ peer.coef[1:]))
        y, p = np.concatenate(ys), np.concatenate(ps)
        scores[l2] = metrics.balanced_accuracy(y, p >= THRESHOLD)
    best = max(scores.values())
    chosen = max(l2 for l2, s in scores.items() if math.isclose(s, best, abs_tol=1e-12))
    return chosen, scores


def train_peer(subjects: list[tuple[np.ndarray, np.ndarray]], grid=L2_GRID) -> Peer:
    """L2 by inner leave-one-subject-out (when there are at least 3 people), then one fit on
    every training window."""
    l2 = choose_l2(subjects, grid)[0] if len(subjects) >= 3 else max(grid)
    return fit_peer(
        np.concatenate([x for x, _ in subjects]), np.concatenate([y for _, y in subjects]), l2
    )


def save(peer: Peer, path: Path, extra: dict | None = None) -> None:
    data = {**peer.as_dict(), **(extra or {})}
    # The device refuses a peer.json whose content no longer matches this (PeerSpec.load).
    data[CHECKSUM_KEY] = parameters_sha256(json.loads(json.dumps(data)))
    tmp = Path(path).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


def load(path: Path = DEFAULT_PATH) -> Peer:
    return Peer.from_dict(json.loads(Path(path).read_text()))


def main(argv: list[str] | None = None) -> int:
    """Fit the peer: on the studies given (Stress-Predict by default), its L2 strength by
    leave-one-subject-out over their people; the device ships the fit on both studies."""
    import argparse
    import logging

    from models import dataset, studies
    from models.replay import ReplaySettings

    p = argparse.ArgumentParser(prog="models.peer", description=main.__doc__.splitlines()[0])
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        help="a study folder (repeat to train on several; default: Stress-Predict)",
    )
    p.add_argument("--cache", type=Path, default=dataset.DEFAULT_CACHE)
    p.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folders = args.data or [dataset.DEFAULT_DATA]
    by_study = {f: studies.load_study(f, cache_dir=args.cache) for f in folders}
    sessions = [s for found in by_study.values() for s in found]
    if len(sessions) < 3:
        logging.error("need at least 3 labelled people in %s", ", ".join(map(str, folders)))
        return 1
    subjects = [(s.x_labelled, s.y_labelled) for s in sessions]
    l2, scores = choose_l2(subjects)
    peer = fit_peer(
        np.concatenate([x for x, _ in subjects]), np.concatenate([y for _, y in subjects]), l2
    )
    save(
        peer,
        args.out,
        {
            "training": {
                "data": [f.name for f in folders],
                "data_sha256": [dataset.data_fingerprint(f) for f in folders],
                "subjects": [f"{f.name}/{s.name}" for f, found in by_study.items() for s in found],
                "calibration_s": dataset.CALIBRATION_S,
                "window_s": ReplaySettings().window_s,
                "l2_grid_loso_balanced_accuracy": {
                    f"{k:g}": round(v, 4) for k, v in scores.items()
                },
            }
        },
    )
    logging.info("wrote %s (L2 %g)", args.out, l2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
