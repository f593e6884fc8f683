"""The numpy FIR design and filter give SciPy's results, and the modules that filter no longer
import SciPy: a session's service process must not pay scipy.signal's ~75 MB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from appliance.music.audiofile import DECIMATION_TAPS
from appliance.numeric.fir import fir_filter, firwin

PROJECT = Path(__file__).resolve().parents[3]


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


PROBE = """
import sys
import numpy as np
from appliance.hwcheck import sensor_checks
from appliance.music.audiofile import analyse
from appliance.music.loudness import integrated_lufs
from appliance.numeric.fir import fir_filter, firwin
from appliance.signals import eda, ppg

rng = np.random.default_rng(0)
ppg.bandpass(rng.normal(size=6400), 64.0)
eda.lowpass(rng.normal(size=480), 4.0)
integrated_lufs(rng.normal(size=(48000, 2)) * 0.1, 48000)
fir_filter(firwin(63, 0.45), rng.normal(size=1000))
sensor_checks._perfusion(1e4 + rng.normal(size=400), 100.0)
print(sorted(name for name in sys.modules if name.split(".")[0] == "scipy"))
"""


def test_filtering_imports_no_scipy():
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
