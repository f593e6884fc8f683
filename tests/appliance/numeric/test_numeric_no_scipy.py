"""The stand-ins, and the session code moved onto them, run without loading any of SciPy."""

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

x = np.random.default_rng(0).normal(size=(400, 3))
find_peaks(x[:, 0], prominence=0.5, distance=3)
uniform_filter1d(grey_opening_1d(x[:, 0], 17), 8)
noncentral_t_cdf(1.0, 5, 2.0)
QuantileMap.fit(x)
change_p_value(x[:8], x[:8, 0], np.ones(3), np.eye(3), 1.0)
resample(x[:, :2], 22050, 44100)
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
