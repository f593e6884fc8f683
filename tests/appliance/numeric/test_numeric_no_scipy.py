"""The stand-ins, and the session code moved onto them, run without loading any of SciPy: a
session's service process must not pay scipy.signal's ~75 MB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]

PROBE = """
import sys
import numpy as np
from appliance.numeric.peaks import find_peaks
from appliance.numeric.morphology import grey_opening_1d, uniform_filter1d
from appliance.numeric.noncentral_t import noncentral_t_cdf
from appliance.affect.input_map import QuantileMap
from appliance.sequencer.change import change_p_value
from appliance.music.resample import resample
from appliance.hwcheck import sensor_checks
from appliance.music.loudness import integrated_lufs
from appliance.music import audiofile  # its decimation filter, at import and in analyse()
from appliance.numeric.fir import fir_filter, firwin
from appliance.signals import eda, ppg

x = np.random.default_rng(0).normal(size=(400, 3))
find_peaks(x[:, 0], prominence=0.5, distance=3)
uniform_filter1d(grey_opening_1d(x[:, 0], 17), 8)
noncentral_t_cdf(1.0, 5, 2.0)
QuantileMap.fit(x)
change_p_value(x[:8], x[:8, 0], np.ones(3), np.eye(3), 1.0)
resample(x[:, :2], 22050, 44100)
rng = np.random.default_rng(0)
ppg.bandpass(rng.normal(size=6400), 64.0)
eda.lowpass(rng.normal(size=480), 4.0)
integrated_lufs(rng.normal(size=(48000, 2)) * 0.1, 48000)
fir_filter(firwin(63, 0.45), rng.normal(size=1000))
sensor_checks._perfusion(1e4 + rng.normal(size=400), 100.0)
print(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")))
"""


def test_no_scipy_module_is_loaded() -> None:
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
