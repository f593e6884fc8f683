"""find_peaks against scipy.signal.find_peaks on the same inputs, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from appliance.numeric.peaks import find_peaks, local_maxima, maxima_prominences


def _signal(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "noise":
        return rng.normal(size=n)
    if kind == "plateaus":  # coarse quantisation: many flat runs, some at the edges
        return np.round(rng.normal(size=n) * 1.5)
    if kind == "walk":
        return np.round(np.cumsum(rng.normal(size=n)))
    if kind == "pulse":  # a PPG-like train with noise
        return np.sin(np.arange(n) / 4.0) ** 9 + 0.05 * rng.normal(size=n)
    if kind == "ties":  # equal heights everywhere: the distance selection's tie order
        return np.tile([0.0, 1.0, 0.0, 1.0, 1.0, 0.0], n // 6 + 1)[:n]
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["noise", "plateaus", "walk", "pulse", "ties"])
@pytest.mark.parametrize("seed", range(12))
def test_find_peaks_equals_scipy(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _signal(kind, int(rng.integers(3, 600)), rng)
    for prominence in (None, 0.0, 0.3, 1.0, 2.5):
        for distance in (None, 1, 2.5, 4, 13, 100):
            expected = signal.find_peaks(x, prominence=prominence, distance=distance)[0]
            got = find_peaks(x, prominence=prominence, distance=distance)
            np.testing.assert_array_equal(got, expected, err_msg=f"{prominence=} {distance=}")


@pytest.mark.parametrize(
    "x",
    [
        [],
        [1.0],
        [1.0, 2.0],
        [0.0, 1.0, 0.0],
        [3.0, 3.0, 3.0, 3.0],  # flat: no peak
        [0.0, 2.0, 2.0, 2.0, 2.0, 0.0],  # even plateau: midpoint rounded down
        [0.0, 2.0, 2.0, 2.0],  # plateau reaching the end: no peak
        [2.0, 2.0, 1.0, 3.0, 3.0, 1.0],
        [5.0, 0.0, 1.0, 2.0, 1.0],  # the higher edge sample is no peak but bounds prominence
    ],
)
def test_short_and_flat_inputs(x: list[float]) -> None:
    x = np.asarray(x, dtype=float)
    for prominence in (None, 0.5):
        for distance in (None, 2):
            expected = signal.find_peaks(x, prominence=prominence, distance=distance)[0]
            np.testing.assert_array_equal(
                find_peaks(x, prominence=prominence, distance=distance), expected
            )


@pytest.mark.parametrize("seed", range(5))
def test_prominences_equal_scipy_on_long_noisy_slopes(seed: int) -> None:
    # Long slopes with noise: where a walk along the samples would be quadratic.
    rng = np.random.default_rng(seed)
    x = np.sin(np.arange(50_000) / 800.0) + 1e-3 * rng.normal(size=50_000)
    peaks = local_maxima(x)
    np.testing.assert_array_equal(
        maxima_prominences(x, peaks), signal.peak_prominences(x, peaks)[0]
    )
    np.testing.assert_array_equal(
        find_peaks(x, prominence=0.5, distance=200),
        signal.find_peaks(x, prominence=0.5, distance=200)[0],
    )


def test_distance_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        find_peaks(np.zeros(5), distance=0.5)
