"""Replaying a recording gives the features the device computes from the same skin and pulse."""

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt
from signals_synth import max30102_ir, scr_shape, simulated_ppg

from models.e4 import E4Recording
from models.replay import (
    DEVICE_GSR_POLL_HZ,
    DEVICE_PPG_FS_HZ,
    replay_arrays,
    replay_e4,
    resample_to,
)

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
    # The SCR floor follows each window's measured noise, which the two paths estimate within
    # ±8 %; with this many SCRs right at the floor, one SCR flips in about one window in eight.
    # Pushing the E4's 4 Hz samples unbinned misses by ~0.4 SCR/min on average.
    assert np.mean(np.abs(scr_rep - scr_dev)) < 0.2
    assert np.mean(np.abs(values(replayed, "scl_us") - values(device, "scl_us"))) < 1e-4


def test_e4_eda_before_skin_contact_is_no_reading_not_a_low_one():
    """An E4 stores ~0 µS until the electrodes touch skin; the GSR driver gives no reading
    then. As readings, the zeros would set the session's lowest skin conductance."""
    duration = 300.0
    skin = _skin_conductance(duration, seed=2)[:: int(TRUE_FS / E4_EDA_FS)]
    ppg, _ = simulated_ppg(duration, DEVICE_PPG_FS_HZ, 70, seed=3, noisy=False)

    def replayed(eda):
        e4 = E4Recording(
            bvp=-ppg, bvp_fs=DEVICE_PPG_FS_HZ, eda=eda, eda_fs=E4_EDA_FS, start_unix=0.0,
            ibi_times=np.array([]), ibi_s=np.array([]),
        )  # fmt: skip
        return replay_e4(e4)

    before_contact = skin.copy()
    before_contact[: int(10 * E4_EDA_FS)] = 0.0
    worn, late = replayed(skin), replayed(before_contact)
    early = [(a, b) for a, b in zip(worn, late, strict=True) if a.t_end <= 60.0]
    assert early[0][0].t_end == 20.0 and len(early) == 9  # windows grow to 60 s at the start
    # The first minute's levels are the skin's, from the seconds it was worn (the zeros
    # averaged in would put them up to half lower), with a quality that says what share was
    # worn; the first window, worn for half of it, gives no level at all.
    assert np.isnan(early[0][1].scl_us) and early[0][1].eda_quality == 0.0
    for a, b in early[1:]:
        assert abs(b.scl_us - a.scl_us) < 0.01 * a.scl_us
        assert b.eda_quality == pytest.approx((b.t_end - 10.0) / b.window_s, abs=0.01)
    assert np.nanmin([w.scl_us for w in late]) > 0.99 * np.nanmin([w.scl_us for w in worn])


def test_resampling_keeps_gaps_and_does_not_pull_their_edges_or_the_ends():
    x = np.full(40, 2.0)
    x[10:20] = np.nan  # 2.5 s to 5 s at 4 Hz
    y = resample_to(x, 4.0, 16.0)
    t = np.arange(y.size) / 16.0
    gap = np.isnan(y)
    assert y.size == 160
    assert gap[(t > 2.5) & (t < 4.75)].all()  # every sample nearer a missing one
    assert not gap[(t < 2.375) | (t > 4.875)].any()
    # Neither the gap's edges nor the signal's ends ramp towards a fill value or 0.
    assert np.allclose(y[~gap], 2.0, atol=0.01)
