"""The numpy FIR design and filter give SciPy's results (test_numeric_no_scipy checks that the
modules filtering with them load no SciPy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from appliance.music.audiofile import DECIMATION_TAPS
from appliance.numeric.fir import fir_filter, firwin


@pytest.mark.parametrize("numtaps", [1, 2, 3, 16, DECIMATION_TAPS, 64, 101])
@pytest.mark.parametrize("cutoff", [0.05, 0.45, 0.5, 0.9, 0.999])
def test_firwin_equals_scipy(numtaps, cutoff):
    np.testing.assert_allclose(
        firwin(numtaps, cutoff), signal.firwin(numtaps, cutoff), rtol=1e-13, atol=1e-16
    )


def test_firwin_takes_a_sample_rate():
    np.testing.assert_allclose(
        firwin(63, 4000.0, fs=44100.0), signal.firwin(63, 4000.0, fs=44100.0), rtol=1e-13
    )
    for cutoff in (0.0, 1.0, -0.2):
        with pytest.raises(ValueError):
            firwin(63, cutoff)


@pytest.mark.parametrize("sizes", [(65536, 65536, 1000), (1, 2, 61, 62, 63, 5000), (10,)])
def test_fir_filter_block_by_block_equals_lfilter(sizes):
    taps = firwin(DECIMATION_TAPS, 0.45)
    x = np.random.default_rng(len(sizes)).normal(size=sum(sizes)) * 0.5
    history, parts = None, []
    for block in np.split(x, np.cumsum(sizes)[:-1]):
        y, history = fir_filter(taps, block, history)
        assert y.shape == block.shape
        parts.append(y)
    np.testing.assert_allclose(np.concatenate(parts), signal.lfilter(taps, 1.0, x), atol=1e-13)
