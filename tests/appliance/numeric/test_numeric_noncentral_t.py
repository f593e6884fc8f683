"""noncentral_t_sf against scipy.stats.nct.sf over the range the change test reaches."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import nct

from appliance.numeric.noncentral_t import noncentral_t_cdf, noncentral_t_sf

XS = np.concatenate([np.linspace(-50.0, 50.0, 21), [-0.3, 0.01, 0.7, 2.5]])
NCS = np.linspace(-20.0, 20.0, 9)


@pytest.mark.parametrize("df", [1, 2, 3, 5, 8, 13, 30, 75, 200])
def test_sf_matches_scipy(df: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for nc in NCS:
            for x in XS:
                ours = noncentral_t_sf(float(x), df, float(nc))
                assert math.isfinite(ours) and 0.0 <= ours <= 1.0
                expected = float(nct.sf(x, df, nc))
                if math.isfinite(expected):
                    assert abs(ours - expected) < 1e-9, (df, nc, x, ours, expected)


def test_cdf_is_finite_where_scipy_gives_nan() -> None:
    # The lower tail far below a large noncentrality: SciPy returns NaN, the truth is tiny.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scipy_cdf = float(nct.cdf(-40.0, 3, 20.0))
    ours = noncentral_t_cdf(-40.0, 3, 20.0)
    assert math.isfinite(ours) and 0.0 <= ours < 1e-12
    if math.isfinite(scipy_cdf):
        assert abs(ours - scipy_cdf) < 1e-9


def test_cdf_and_sf_are_complements() -> None:
    for df, nc, x in [(4, 1.5, 0.3), (20, -3.0, -2.0), (1, 0.0, 10.0)]:
        assert noncentral_t_cdf(x, df, nc) == pytest.approx(1.0 - noncentral_t_sf(x, df, nc))


def test_central_case_is_students_t() -> None:
    from scipy.stats import t

    for df in (1, 3, 10):
        for x in (-4.0, -1.0, 0.5, 3.0):
            assert noncentral_t_sf(x, df, 0.0) == pytest.approx(t.sf(x, df), abs=1e-12)
