import math

import numpy as np
import pytest
from signals_synth import eda_with_scrs, max30102_ir, simulated_ppg

from appliance.signals import hrv
from appliance.signals.buffers import IndexedRing, UniformResampler
from appliance.signals.ppg import bandpass, detect_beats
from appliance.signals.rr_correct import correct_rr
from appliance.signals.stream import FIRST_WINDOW_S, PPG_GUARD_S, PhysiologyStream
from drivers.sources import GsrBatch, PpgBatch

FS = 100.0
T0 = 5000.0  # monotonic seconds: any origin


def irregular_batches(t: np.ndarray, rng: np.random.Generator, lo: int = 3, hi: int = 40):
    i = 0
    while i < t.size:
        n = int(rng.integers(lo, hi))
        yield slice(i, min(i + n, t.size))
        i += n


def feed(stream, t, ir, us_t=None, us=None, seed=0, jitter_s=0.002):
    """Push PPG (with timestamp jitter) and GSR in irregular batches, updating as a session
    would; returns every WindowFeatures produced."""
    rng = np.random.default_rng(seed)
    out = []
    gsr_i = 0
    for sl in irregular_batches(t, rng):
        tb = t[sl] + rng.normal(0, jitter_s, t[sl].size)
        stream.push_ppg(PpgBatch(tb, 0.6 * ir[sl], ir[sl]))
        if us is not None:
            stop = np.searchsorted(us_t, t[sl][-1], side="right")
            if stop > gsr_i:
                stream.push_gsr(GsrBatch(us_t[gsr_i:stop], us[gsr_i:stop]))
                gsr_i = stop
        f = stream.update(float(t[sl][-1]))
        if f is not None:
            out.append(f)
    return out


@pytest.fixture(scope="module")
def three_minutes():
    ppg, _ = simulated_ppg(180, FS, 68, seed=11)
    t = T0 + np.arange(ppg.size) / FS
    us_rel_t, us = eda_with_scrs(180, 10.0, [30, 75, 120, 160], [0.2, 0.1, 0.3, 0.15], 0.2, 3)
    return t, max30102_ir(ppg), T0 + us_rel_t, us


def test_stream_matches_one_batch_analysis_and_stays_bounded(three_minutes):
    t, ir, us_t, us = three_minutes
    stream = PhysiologyStream(window_s=60, update_s=5, ppg_fs=FS)
    out = feed(stream, t, ir, us_t, us)
    last = out[-1]
    # One-batch analysis of the whole recording, same window (cardiac lags by the guard).
    x = bandpass(-ir, FS)
    beat_t = T0 + detect_beats(x, FS) / FS
    end = last.t_end - PPG_GUARD_S
    in_window = beat_t[(beat_t >= end - 60) & (beat_t < end)]
    cleaned = correct_rr(np.diff(in_window)).rr_s
    assert last.hr_bpm == pytest.approx(hrv.hr_bpm(cleaned), abs=0.5)
    assert last.rmssd_ms == pytest.approx(hrv.rmssd_ms(cleaned), rel=0.1)
    assert last.ppg_quality > 0.8 and last.rr_corrected_share < 0.2  # noisy synthetic PPG
    assert last.eda_quality > 0.9 and last.scl_us == pytest.approx(2.5, abs=0.3)
    # Every window, not only the last, saw a plausible heart rate.
    assert all(60 < f.hr_bpm < 76 for f in out)
    sizes = stream.buffer_sizes()
    span_s = 60 + 4.0 + 1.5 + 10.0 + 2.0  # window, overlap, guard, detection period, margin
    assert sizes["ppg_grid"] <= span_s * FS
    assert sizes["ppg_beats"] <= span_s * 200 / 60
    assert sizes["eda_grid"] <= (60 + 2.0) * 4
    assert sizes["ppg_pending"] <= 5 and sizes["eda_pending"] <= 10
    # Beats were never duplicated across incremental passes.
    assert np.all(np.diff(stream.beat_times()) >= 0.3)


def test_first_window_and_update_cadence(three_minutes):
    t, ir, _, _ = three_minutes
    stream = PhysiologyStream(window_s=60, update_s=5, ppg_fs=FS)
    out = feed(stream, t[: int(40 * FS)], ir[: int(40 * FS)])
    first = out[0]
    assert first.t_end - T0 == pytest.approx(FIRST_WINDOW_S, abs=0.5)
    assert first.window_s == pytest.approx(first.t_end - T0, abs=0.01)  # first sample jitters
    assert not math.isnan(first.hr_bpm)
    gaps = np.diff([f.t_end for f in out])
    assert np.all(gaps >= 5.0 - 1e-9) and np.all(gaps < 5.5)


def test_sensor_gap_gives_nan_and_zero_quality(three_minutes):
    t, ir, us_t, us = three_minutes
    stream = PhysiologyStream(window_s=60, update_s=5, ppg_fs=FS)
    cut = int(90 * FS)
    feed(stream, t[:cut], ir[:cut])  # the PPG sensor then goes silent…
    stream.push_gsr(GsrBatch(us_t, us))  # …while the GSR goes on
    f = stream.update(T0 + 175.0)
    assert f.ppg_quality == 0.0 and math.isnan(f.hr_bpm) and math.isnan(f.rmssd_ms)
    assert f.eda_quality > 0.9 and not math.isnan(f.scl_us)
    assert f.quality == pytest.approx(0.5 * f.eda_quality)


def test_electrodes_off_gives_eda_quality_zero():
    stream = PhysiologyStream(now_start=0.0)
    t = np.arange(0, 60, 0.1)
    stream.push_gsr(GsrBatch(t, np.full(t.size, np.nan)))
    f = stream.update(60.0)
    assert f.eda_quality == 0.0 and math.isnan(f.scl_us) and math.isnan(f.scr_per_min)


def test_gsr_noise_is_not_counted_as_responses():
    # The device's path (the stream) detects SCRs with the same noise-relative floor.
    stream = PhysiologyStream(now_start=0.0)
    t = np.arange(0, 120, 0.25)
    stream.push_gsr(GsrBatch(t, 0.8 + np.random.default_rng(4).normal(0, 0.01, t.size)))
    f = stream.update(120.0)
    assert f.eda_quality > 0.9 and f.scr_per_min < 1.0


def test_strap_rr_feeds_the_cardiac_path():
    stream = PhysiologyStream(now_start=0.0)
    rng = np.random.default_rng(2)
    rr_all = 0.8 + 0.04 * np.sin(np.arange(90) / 3) + rng.normal(0, 0.005, 90)
    rr_all[40] = 1.6  # a strap that missed a beat
    beat = 0.0
    for i in range(0, 90, 2):  # notifications carry 1-2 RR intervals
        pair = rr_all[i : i + 2]
        beat += pair.sum()
        stream.push_rr(beat + 0.05, pair)
    f = stream.update(beat)
    window = rr_all[np.cumsum(rr_all) > beat - 60]
    kept = window[window < 1.2]
    assert f.hr_bpm == pytest.approx(60 / kept.mean(), abs=0.5)
    assert 0 < f.rr_corrected_share < 0.05
    assert f.ppg_quality > 0.9  # cardiac quality: the strap covered the window
    assert stream.buffer_sizes()["strap_rr"] <= 62 / 0.7


def test_strap_rr_in_atrial_fibrillation_flags_the_window():
    stream = PhysiologyStream(now_start=0.0)
    rr_all = np.random.default_rng(5).uniform(0.5, 1.1, 100)  # AF-like: random intervals
    beat = 0.0
    for interval in rr_all:
        beat += interval
        stream.push_rr(beat + 0.05, [interval])
    f = stream.update(beat)
    assert f.irregular_rhythm and f.ppg_quality >= 0.5
    assert math.isnan(f.rmssd_ms) and math.isnan(f.sdnn_ms) and math.isnan(f.pnn50_pct)
    assert 60 / 1.1 < f.hr_bpm < 60 / 0.5


def test_gsr_at_ten_hz_is_resampled_to_four():
    stream = PhysiologyStream(now_start=0.0)
    t = np.arange(0, 60, 0.1) + np.random.default_rng(1).normal(0, 0.01, 600)
    stream.push_gsr(GsrBatch(np.sort(t), 3.0 + 0.01 * t))
    assert stream.buffer_sizes()["eda_grid"] == pytest.approx(60 * 4, abs=2)
    f = stream.update(60.0)
    assert f.scl_slope_us_per_min == pytest.approx(0.6, abs=0.05)


def test_indexed_ring_keeps_newest_and_addresses_absolutely():
    ring = IndexedRing(10)
    for k in range(0, 30, 3):
        ring.extend(k, np.arange(k, k + 3, dtype=float))
    assert len(ring) == 10 and ring.end_index == 30 and ring.start_index == 20
    np.testing.assert_array_equal(ring.window(18, 23), [np.nan, np.nan, 20, 21, 22])
    ring.extend(35, np.array([35.0]))  # skipped indices are NaN
    assert np.isnan(ring.window(30, 35)).all() and ring.window(35, 36)[0] == 35.0
    ring.extend(1000, np.array([1.0]))  # a jump past the capacity starts afresh
    assert len(ring) == 1 and ring.start_index == 1000


def test_resampler_interpolates_jitter_and_leaves_gaps_nan():
    res = UniformResampler(fs=10.0, max_gap_s=0.3)
    t = np.concatenate((np.arange(0, 2, 0.1), np.arange(3, 4, 0.1))) + 0.01
    first, values = res.push(t, 2 * t, max_points=1000)
    assert first == 0
    grid_t = res.grid_time(0) + np.arange(values.size) / 10.0
    ok = np.isfinite(values)
    np.testing.assert_allclose(values[ok], 2 * grid_t[ok])
    assert not ok[(grid_t > 2.0) & (grid_t < 2.9)].any()


def test_resampler_averages_within_bins():
    res = UniformResampler(fs=4.0, max_gap_s=1.0, half_bin_s=0.125)
    t = np.arange(0, 10, 0.01)
    v = np.where(np.arange(t.size) % 2 == 0, 1.0, 3.0)  # fast alternation averages to 2
    _, values = res.push(t, v, max_points=1000)
    np.testing.assert_allclose(values, 2.0, atol=0.1)
