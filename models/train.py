"""Train the affect model: Stress-Predict windows → a small Keras network → an int8 TFLite file.

    python -m models.train [--data DIR] [--out models] [--seed 0]   (or `attune model train`)

Needs the `train` extra (TensorFlow); the device only ever runs the TFLite file. Steps: replay
every recording through our own stream (cached), build the model inputs against each
person's calibration baseline, evaluate leave-one-subject-out with the quantised model itself
(models/evaluate.py), then train on everyone and export affect.tflite + affect.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from appliance.affect.model_features import FEATURE_NAMES
from appliance.affect.model_runtime import MODEL_FORMAT, file_sha256
from models import dataset, evaluate, network
from models.replay import ReplaySettings

log = logging.getLogger("models.train")

N_REFERENCE = 16  # fixed inputs whose Keras outputs are stored for the agreement test
OUT_DIR = Path(__file__).resolve().parent


def normalisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and SD of the training inputs (SD floored: constant inputs stay 0);
    the drift monitor measures live inputs in these units."""
    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-3)
    return mean.astype(np.float32), scale.astype(np.float32)


def train_final(subjects: list[dataset.SubjectData], seed: int = network.SEED) -> dict:
    x = np.concatenate([s.x for s in subjects])
    y = np.concatenate([s.y for s in subjects])
    mean, scale = normalisation(x)
    model = network.fit_int8(x, y, seed)
    rng = np.random.default_rng(seed + 1)
    reference_x = x[rng.choice(len(x), N_REFERENCE, replace=False)]
    reference_keras = model.keras.predict(model.input_map(reference_x), verbose=0).reshape(-1)
    return {
        "tflite": model.tflite,
        "mean": mean,
        "scale": scale,
        "input_map": model.input_map,
        "n_windows": len(y),
        "stress_share": float(np.mean(y)),
        "reference_inputs": reference_x,
        "reference_keras": reference_keras,
        "reference_tflite": model.predict(reference_x),
    }


def describe(final: dict, subjects, data_dir: Path, seed: int, metrics: dict) -> dict:
    return {
        "format": MODEL_FORMAT,
        "features": list(FEATURE_NAMES),
        "input_map": final["input_map"].as_lists(),
        "normalisation": {
            "kind": "training mean and SD per feature, the units of the drift monitor",
            "mean": [round(float(v), 6) for v in final["mean"]],
            "scale": [round(float(v), 6) for v in final["scale"]],
        },
        "calibration_s": dataset.CALIBRATION_S,
        "window_s": ReplaySettings().window_s,
        "classes": list(network.CLASSES),
        "output": "P(stress), sigmoid",
        "thresholds": network.THRESHOLDS,
        "training": {
            "data": "Stress-Predict (Iqbal et al. 2022), participants 2-35, Empatica E4",
            "data_dir": data_dir.name,
            "data_sha256": dataset.data_fingerprint(data_dir),
            "replay": asdict(ReplaySettings()),  # the stream and sensor rates it was fed as
            "subjects": [s.name for s in subjects],
            "n_windows": final["n_windows"],
            "stress_share": round(final["stress_share"], 4),
            "seed": seed,
            "epochs": network.EPOCHS,
            "architecture": (
                f"quantile input map, dense {network.HIDDEN} relu, L2 {network.L2}, sigmoid"
            ),
            "tensorflow": network.tf().__version__,
        },
        "metrics": metrics,
        "reference": {
            "inputs": np.round(final["reference_inputs"], 6).tolist(),
            "keras_p_stress": [round(float(v), 6) for v in final["reference_keras"]],
            "tflite_p_stress": [round(float(v), 6) for v in final["reference_tflite"]],
        },
    }


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="models.train", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=dataset.DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=OUT_DIR)
    p.add_argument("--cache", type=Path, default=dataset.DEFAULT_CACHE)
    p.add_argument("--seed", type=int, default=network.SEED)
    p.add_argument("--skip-eval", action="store_true", help="train and export only")
    p.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="evaluation folds run side by side (default: up to 2)",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    start = time.perf_counter()
    subjects = dataset.load_subjects(args.data, args.cache)
    if len(subjects) < 3:
        log.error("need at least 3 labelled subjects in %s, found %d", args.data, len(subjects))
        return 1
    log.info(
        "%d subjects, %d windows (%.0f s)",
        len(subjects),
        sum(len(s.y) for s in subjects),
        time.perf_counter() - start,
    )
    results = {} if args.skip_eval else evaluate.run_all(subjects, args.seed, args.workers)
    final = train_final(subjects, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "affect.tflite", final["tflite"])
    metrics = evaluate.metrics_for_json(results)
    spec = describe(final, subjects, args.data, args.seed, metrics)
    # The runtime refuses a weights file whose bytes are not these (a corrupted one can load).
    spec["model_sha256"] = file_sha256(args.out / "affect.tflite")
    write_atomic(args.out / "affect.json", (json.dumps(spec, indent=1) + "\n").encode())
    if results:
        evaluate.write_markdown(args.out / "EVALUATION.md", results, spec)
    log.info(
        "wrote %s (%d bytes) in %.0f s",
        args.out / "affect.tflite",
        len(final["tflite"]),
        time.perf_counter() - start,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
