"""The live stream computes what the frozen reference (reference_stream.py) computes: the same
beats (within one sample) and the same window features (within small tolerances), on a real
recording and on synthetic signals with jitter, irregular batches, gaps and a strap."""

import math
from pathlib import Path

import numpy as np
import pytest
from reference_stream import PhysiologyStream as ReferenceStream
from signals_synth import eda_with_scrs, max30102_ir, simulated_ppg

from appliance.signals.stream import PhysiologyStream
from drivers.sources import GsrBatch, PpgBatch

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
S02 = DATA / "stress_predict" / "Raw_data" / "S02"

# Absolute tolerances per feature; the rest must agree to within 1e-6 (relative).
TOLERANCE = {
    "hr_bpm": 0.5,
    "rmssd_ms": 2.0,
    "sdnn_ms": 2.0,
    "pnn50_pct": 1.0,
    "scl_us": 0.01,
    "scr_per_min": 0.1,
    "ppg_quality": 0.05,
    "eda_quality": 0.05,
    "quality": 0.05,
}


def run_both(feed, **stream_kwargs):
    """Drive a reference and a live stream with the same calls; return (beats, features) of
    each. `feed(stream)` yields after each step so beats are collected as a session would."""
    results = []
    for cls in (ReferenceStream, PhysiologyStream):
        stream = cls(**stream_kwargs)
        beats, last = [], -math.inf
        features = []
        for f in feed(stream):
            if f is not None:
                features.append(f)
            held = stream.beat_times()
            new = held[held > last]
            if new.size:
                beats.append(new)
                last = float(new[-1])
        results.append((np.concatenate(beats) if beats else np.empty(0), features))
    return results


def assert_equivalent(reference, live, fs):
    (ref_beats, ref_features), (beats, features) = reference, live
    assert beats.size == ref_beats.size
    np.testing.assert_allclose(beats, ref_beats, atol=1.0 / fs + 1e-9, rtol=0)
    assert len(features) == len(ref_features) > 0
    for ref, new in zip(ref_features, features, strict=True):
        a, b = ref.as_dict(), new.as_dict()
        assert a.keys() == b.keys()
        for key, expected in a.items():
            got = b[key]
            if isinstance(expected, float) and math.isnan(expected):
                assert math.isnan(got), (key, ref.t_end)
                continue
            tol = TOLERANCE.get(key, 1e-6 * max(1.0, abs(expected)))
            assert got == pytest.approx(expected, abs=tol), (key, ref.t_end)


def uniform_feed(ppg_ir, ppg_fs, eda_us, eda_fs, batch_s=1.0):
    """Uniformly sampled PPG (sensor polarity) and EDA in `batch_s` batches, an update asked for
    after every batch (the stream keeps its own cadence), as the affect replay does."""

    def feed(stream):
        n = math.floor(max(ppg_ir.size / ppg_fs, eda_us.size / eda_fs) / batch_s)
        for step in range(n):
            t0, t1 = step * batch_s, (step + 1) * batch_s
            a, b = round(t0 * ppg_fs), min(round(t1 * ppg_fs), ppg_ir.size)
            if b > a:
                t = np.arange(a, b) / ppg_fs
                stream.push_ppg(PpgBatch(t, ppg_ir[a:b], ppg_ir[a:b]))
            a, b = round(t0 * eda_fs), min(round(t1 * eda_fs), eda_us.size)
            if b > a:
                stream.push_gsr(GsrBatch(np.arange(a, b) / eda_fs, eda_us[a:b]))
            yield stream.update(t1)

    return feed


@pytest.mark.parametrize("update_s", [5.0, 60.0])
def test_real_recording_matches_reference(update_s):
    if not (S02 / "BVP.csv").exists():
        pytest.skip(f"Stress-Predict recording not found at {S02}")
    from appliance.signals.e4 import load_e4

    rec = load_e4(S02)
    minutes = 20 if update_s == 5.0 else 60  # a 5 s cadence costs the reference more
    n_ppg, n_eda = int(minutes * 60 * rec.bvp_fs), int(minutes * 60 * rec.eda_fs)
    feed = uniform_feed(-rec.bvp_blood_volume_up[:n_ppg], rec.bvp_fs, rec.eda[:n_eda], rec.eda_fs)
    kwargs = dict(window_s=60.0, update_s=update_s, ppg_fs=rec.bvp_fs, now_start=0.0)
    reference, live = run_both(feed, **kwargs)
    assert reference[0].size > 50 * minutes  # the recording really has beats
    assert_equivalent(reference, live, rec.bvp_fs)


def jittery_feed(t, ir, us_t, us, seed):
    """PPG with timestamp jitter in irregular batches, a 20 s sensor drop-out, GSR at 10 Hz
    one sample per read (as the Grove GSR delivers it), an update asked for after each read."""
    ppg_t = t + np.random.default_rng(seed).normal(0, 0.002, t.size)
    keep = (t < t[0] + 100) | (t > t[0] + 120)

    def feed(stream):
        rng = np.random.default_rng(seed + 1)  # the same batches for every stream
        i, gsr_i = 0, 0
        while i < t.size:
            sl = slice(i, min(t.size, i + int(rng.integers(3, 40))))
            i = sl.stop
            ok = keep[sl]
            if ok.any():
                stream.push_ppg(PpgBatch(ppg_t[sl][ok], 0.6 * ir[sl][ok], ir[sl][ok]), "ir")
            while gsr_i < us_t.size and us_t[gsr_i] <= t[sl.stop - 1]:
                stream.push_gsr(GsrBatch(us_t[gsr_i : gsr_i + 1], us[gsr_i : gsr_i + 1]))
                gsr_i += 1
            yield stream.update(float(t[sl.stop - 1]))

    return feed


@pytest.mark.parametrize("fs", [100.0, 64.0])
def test_synthetic_jitter_gaps_and_slow_gsr_match_reference(fs):
    duration = 240
    ppg, _ = simulated_ppg(duration, fs, 74, seed=5)
    t = 1000.0 + np.arange(ppg.size) / fs
    us_rel_t, us = eda_with_scrs(duration, 10.0, [30, 80, 150, 200], [0.2, 0.1, 0.3, 0.2], 0.3, 4)
    us[(us_rel_t > 160) & (us_rel_t < 175)] = np.nan  # electrodes off for a while
    feed = jittery_feed(t, max30102_ir(ppg), 1000.0 + us_rel_t, us, seed=3)
    reference, live = run_both(feed, window_s=60.0, update_s=5.0, ppg_fs=fs)
    assert reference[0].size > 200
    assert_equivalent(reference, live, fs)


def test_strap_and_ppg_together_match_reference():
    fs = 100.0
    ppg, _ = simulated_ppg(150, fs, 66, seed=8)
    ir = max30102_ir(ppg)
    rng = np.random.default_rng(4)
    rr = 0.9 + 0.05 * np.sin(np.arange(200) / 4) + rng.normal(0, 0.01, 200)
    rr[60] = 1.8  # a missed beat

    def feed(stream):
        beat, j = 0.0, 0
        for second in range(150):
            a, b = second * int(fs), (second + 1) * int(fs)
            stream.push_ppg(PpgBatch(np.arange(a, b) / fs, ir[a:b], ir[a:b]))
            # The strap drops out between 70 s and 100 s: PPG takes over.
            while j < rr.size and beat + rr[j] <= second + 1:
                beat += rr[j]
                if not 70 < beat < 100:
                    stream.push_rr(beat + 0.03, [rr[j]])
                j += 1
            yield stream.update(second + 1.0)

    reference, live = run_both(feed, window_s=60.0, update_s=5.0, ppg_fs=fs, now_start=0.0)
    assert_equivalent(reference, live, fs)


def test_buffer_sizes_match_reference():
    fs = 100.0
    ppg, _ = simulated_ppg(100, fs, 70, seed=2)
    t = np.arange(ppg.size) / fs
    us_t, us = eda_with_scrs(100, 10.0, [30], [0.2], 0.1, 1)
    streams = [ReferenceStream(ppg_fs=fs), PhysiologyStream(ppg_fs=fs)]
    for stream in streams:
        for a in range(0, t.size, 37):
            stream.push_ppg(PpgBatch(t[a : a + 37], ppg[a : a + 37], ppg[a : a + 37]))
        stream.push_gsr(GsrBatch(us_t, us))
    assert streams[0].buffer_sizes() == streams[1].buffer_sizes()


def test_deferred_grid_predicts_the_ring_and_matches_batch_by_batch_resampling():
    """Queued pushes give the same indices at once and the same values once read as resampling
    every batch, through jitter, repeated times, a gap and a jump past the capacity."""
    from appliance.signals.buffers import DeferredGrid, IndexedRing, UniformResampler

    rng = np.random.default_rng(7)
    fs, capacity = 50.0, 300
    t = np.arange(0, 40, 1 / fs) + rng.normal(0, 0.003, 2000)
    t[500] = t[499]  # a repeated timestamp
    t = np.concatenate((t[:900], t[1000:], t[-1] + 30 + np.arange(0, 5, 1 / fs)))
    v = np.sin(t)
    grid = DeferredGrid(fs, 0.25, capacity)
    resampler, ring = UniformResampler(fs, 0.25), IndexedRing(capacity)
    i = 0
    while i < t.size:
        sl = slice(i, i + int(rng.integers(1, 30)))
        i = sl.stop
        grid.push(t[sl].copy(), v[sl].copy())
        ring.extend(*resampler.push(t[sl], v[sl], max_points=capacity))
        assert (grid.start_index, grid.end_index) == (ring.start_index, ring.end_index)
        if rng.random() < 0.2:
            window = grid.window(ring.start_index - 5, ring.end_index)
            np.testing.assert_array_equal(window, ring.window(ring.start_index - 5, ring.end_index))
    assert grid.pending == resampler.pending and len(grid) == len(ring)


def test_kernels_are_bit_identical_to_the_reference():
    """The faster filtering, peak search and RR correction change no value at all."""
    from reference_signals import ppg as reference_ppg
    from reference_signals import rr_correct as reference_rr
    from scipy import signal

    from appliance.signals import ppg, rr_correct

    rng = np.random.default_rng(3)
    for fs in (64.0, 100.0):
        x, _ = simulated_ppg(30, fs, 80, seed=int(fs))
        np.testing.assert_array_equal(ppg.bandpass(x, fs), reference_ppg.bandpass(x, fs))
        y = ppg.bandpass(x, fs)
        np.testing.assert_array_equal(ppg.detect_beats(y, fs), reference_ppg.detect_beats(y, fs))
        sos, zi = ppg._bandpass_sos(fs, 0.5, 8.0)
        z = rng.normal(size=500)
        expected = signal.sosfilt(sos, z, zi=zi * 3.0)[0]
        np.testing.assert_array_equal(ppg.sosfilt_1d(sos, zi * 3.0, z), expected)
    for n in (3, 6, 40, 150):
        rr = rng.normal(0.8, 0.05, n)
        rr[rng.integers(0, n, max(1, n // 10))] *= rng.choice([0.5, 1.9, 1.0])
        rr[n // 3] = np.nan
        new, old = rr_correct.correct_rr(rr), reference_rr.correct_rr(rr)
        np.testing.assert_array_equal(new.rr_s, old.rr_s)
        assert new.corrected_share == old.corrected_share
