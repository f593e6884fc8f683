"""grey_opening_1d and uniform_filter1d against scipy.ndimage with mode="reflect"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from appliance.numeric.morphology import grey_opening_1d, uniform_filter1d

SIZES = (1, 2, 3, 4, 5, 8, 17, 64, 513, 700)  # even ones too; wider than the input too


@pytest.mark.parametrize("seed", range(16))
def test_grey_opening_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    x = np.cumsum(rng.normal(size=n)) if seed % 2 else rng.normal(size=n)
    for width in SIZES:
        expected = ndimage.grey_opening(x, size=width, mode="reflect")
        np.testing.assert_array_equal(grey_opening_1d(x, width), expected, err_msg=f"{width=}")


@pytest.mark.parametrize("seed", range(16))
def test_uniform_filter_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    x = 5.0 + np.cumsum(rng.normal(size=n)) * 0.1 if seed % 2 else rng.normal(size=n)
    for size in SIZES:
        expected = ndimage.uniform_filter1d(x, size=size, mode="reflect")
        np.testing.assert_allclose(uniform_filter1d(x, size), expected, rtol=0, atol=1e-12)


def test_ten_minutes_of_skin_conductance() -> None:
    # The size the service sees: 10 min at 32 Hz, windows of 20 and 60 s.
    rng = np.random.default_rng(7)
    x = 5.0 + 0.01 * np.cumsum(rng.normal(size=600 * 32))
    for seconds in (20, 60):
        width = (seconds * 32) | 1
        expected = ndimage.grey_opening(x, size=width, mode="reflect")
        np.testing.assert_array_equal(grey_opening_1d(x, width), expected)
        expected = ndimage.uniform_filter1d(x, size=width, mode="reflect")
        np.testing.assert_allclose(uniform_filter1d(x, width), expected, rtol=0, atol=1e-11)
