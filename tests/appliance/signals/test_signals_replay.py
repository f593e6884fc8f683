"""Replaying a recording gives the features the device computes from the same skin and pulse."""

import numpy as np
from scipy.signal import butter, sosfiltfilt
from signals_synth import max30102_ir, scr_shape, simulated_ppg

from appliance.affect.replay import DEVICE_GSR_POLL_HZ, DEVICE_PPG_FS_HZ, replay_arrays, replay_e4
from appliance.signals.e4 import E4Recording

E4_EDA_FS = 4.0
TRUE_FS = 64.0  # a multiple of both the E4's and the GSR poll's rate


def _skin_conductance(duration_s: float, seed: int) -> np.ndarray:
    """µS at TRUE_FS: a drifting tonic level, many SCRs near the detection floor, and
    band-limited fluctuation below the E4's Nyquist frequency (so 4 Hz samples capture it)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 1.0 / TRUE_FS)
    us = 1.0 + 0.02 * t / 60.0
    n = int(duration_s / 10)
    onsets, amplitudes = rng.uniform(5, duration_s - 10, n), rng.uniform(0.008, 0.05, n)
    for onset, amp in zip(onsets, amplitudes, strict=True):
        us = us + scr_shape(t, onset, amp)
    wobble = sosfiltfilt(butter(4, 1.9, fs=TRUE_FS, output="sos"), rng.normal(0, 1, t.size))
    return us + 0.004 * wobble / wobble.std()


def test_replayed_e4_eda_gives_the_features_the_gsr_path_gives():
    duration = 600.0
    skin = _skin_conductance(duration, seed=0)
    ppg, _ = simulated_ppg(duration, DEVICE_PPG_FS_HZ, 70, seed=1, noisy=False)
    ir = max30102_ir(ppg)
    # The device reads the GSR at its poll rate; the stream averages the readings into bins.
    device = replay_arrays(
        ir, DEVICE_PPG_FS_HZ, skin[:: int(TRUE_FS / DEVICE_GSR_POLL_HZ)], DEVICE_GSR_POLL_HZ
    )
    e4 = E4Recording(
        bvp=-ppg, bvp_fs=DEVICE_PPG_FS_HZ, eda=skin[:: int(TRUE_FS / E4_EDA_FS)],
        eda_fs=E4_EDA_FS, start_unix=0.0, ibi_times=np.array([]), ibi_s=np.array([]),
    )  # fmt: skip
    replayed = replay_e4(e4)

    assert len(replayed) == len(device) > 100

    def values(windows, name):
        return np.array([getattr(w, name) for w in windows])

    scr_dev, scr_rep = values(device, "scr_per_min"), values(replayed, "scr_per_min")
    assert np.isfinite(scr_dev).all() and scr_dev.mean() > 3.0  # the SCRs are being counted
    # Pushing the E4's 4 Hz samples unbinned misses this by ~0.3 SCR/min on average.
    assert np.mean(np.abs(scr_rep - scr_dev)) < 0.05
    assert np.mean(np.abs(values(replayed, "scl_us") - values(device, "scl_us"))) < 1e-4
