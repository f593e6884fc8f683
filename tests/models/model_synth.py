"""Synthetic E4-layout recordings for the model tests: a pulse wave whose rate and a skin
conductance whose level rise during the labelled stress intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BVP_FS = 64.0
EDA_FS = 4.0
START_UNIX = 1_600_000_000


def write_e4_subject(
    folder: Path,
    duration_s: float,
    stress: list[tuple[float, float]],
    *,
    seed: int = 0,
    labels_csv: bool = True,
    with_ibi: bool = False,
) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(duration_s * BVP_FS)) / BVP_FS
    stressed = np.zeros_like(t, dtype=bool)
    for a, b in stress:
        stressed |= (t >= a) & (t < b)
    hr_hz = np.where(stressed, 1.6, 1.1) + 0.03 * np.sin(2 * np.pi * t / 4.5)
    phase = 2 * np.pi * np.cumsum(hr_hz) / BVP_FS
    # The E4 stores blood volume down: systolic peaks are minima.
    bvp = -(np.sin(phase) + 0.4 * np.sin(2 * phase - 0.8)) * 40 + rng.normal(0, 1.0, t.size)
    te = np.arange(int(duration_s * EDA_FS)) / EDA_FS
    eda_stress = np.zeros_like(te, dtype=bool)
    for a, b in stress:
        eda_stress |= (te >= a) & (te < b)
    eda = 2.0 + 1.5 * eda_stress + rng.normal(0, 0.01, te.size)
    _write_sampled(folder / "BVP.csv", bvp, BVP_FS)
    _write_sampled(folder / "EDA.csv", eda, EDA_FS)
    if with_ibi:
        (folder / "IBI.csv").write_text(f"{START_UNIX}, IBI\n1.0,0.9\n")
    if labels_csv:
        rows = ["start_s,end_s,label"]
        edges = [0.0] + [v for ab in stress for v in ab] + [duration_s]
        for i in range(len(edges) - 1):
            rows.append(f"{edges[i]},{edges[i + 1]},{i % 2}")
        (folder / "labels.csv").write_text("\n".join(rows) + "\n")


def _write_sampled(path: Path, values: np.ndarray, fs: float) -> None:
    body = "\n".join(f"{v:.4f}" for v in values)
    path.write_text(f"{START_UNIX}.000000\n{fs:.6f}\n{body}\n")
