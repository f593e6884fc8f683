"""Speed of the physiology pipeline against NeuroKit2 on the same recordings, in one run.

Ours: the live stream (PhysiologyStream fed 1 s batches, a 60 s window every 60 s: beats, RR
correction, HRV, breathing, EDA, quality) and the offline path (the same pure functions over a
whole recording at once). NeuroKit2: `ppg_process` + `hrv_time` per 60 s window + `eda_process`.
Peak memory is tracemalloc's peak of Python allocations during each side's run (numpy buffers
included); time is CPU time with the sides taking turns per recording (see _measure). Also the
cost of one 60 s window update of the stream, in microseconds (wall clock, median).
Run: python -m bench signals
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np

from appliance.signals.stream import PhysiologyStream
from bench import signals_common as common
from drivers.sources import GsrBatch, PpgBatch
from models.analyse import analyse_offline, analyse_recording
from models.e4 import load_e4

PARTICIPANTS = (2, 5, 10, 15, 20, 25, 30, 35)  # a spread of the labelled recordings


def _measure(runs, recs) -> list[tuple[float, float]]:
    """(CPU seconds, peak MiB) of each of `runs` over every recording.

    The runs take turns recording by recording, so a neighbour's load on a shared machine
    falls on every side alike; CPU time (this process's, all threads) rather than wall time
    for the same reason.
    """
    for run in runs:
        run(recs[0])  # warm caches (imports, filter designs) outside the measurement
    seconds, peaks = [0.0] * len(runs), [0.0] * len(runs)
    tracemalloc.start()
    for rec in recs:
        for i, run in enumerate(runs):
            tracemalloc.reset_peak()
            start = time.process_time()
            run(rec)
            seconds[i] += time.process_time() - start
            peaks[i] = max(peaks[i], tracemalloc.get_traced_memory()[1] / 2**20)
    tracemalloc.stop()
    return list(zip(seconds, peaks, strict=True))


def _ours_stream(rec) -> None:
    analyse_recording(rec.bvp_blood_volume_up, rec.bvp_fs, rec.eda, rec.eda_fs)


def _ours_offline(rec) -> None:
    analyse_offline(rec.bvp_blood_volume_up, rec.bvp_fs, rec.eda, rec.eda_fs)


def _neurokit(rec) -> None:
    import neurokit2 as nk

    fs = int(rec.bvp_fs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ppg_process(rec.bvp_blood_volume_up, sampling_rate=fs)
        peaks = np.asarray(info["PPG_Peaks"])
        for end in np.arange(common.WINDOW_S, rec.bvp.size / fs, common.WINDOW_S):
            inside = peaks[(peaks >= (end - common.WINDOW_S) * fs) & (peaks < end * fs)]
            if inside.size > 3:
                nk.hrv_time(inside, sampling_rate=fs)
        nk.eda_process(rec.eda, sampling_rate=int(rec.eda_fs))


def _window_update_us(rec) -> float:
    """Median cost of one 60 s window update of a warmed stream, in microseconds."""
    fs = rec.bvp_fs
    stream = PhysiologyStream(window_s=60.0, update_s=5.0, ppg_fs=fs, now_start=0.0)
    x = -rec.bvp_blood_volume_up
    costs = []
    for second in range(600):
        a, b = int(second * fs), int((second + 1) * fs)
        stream.push_ppg(PpgBatch(np.arange(a, b) / fs, x[a:b], x[a:b]))
        e = slice(second * 4, (second + 1) * 4)
        stream.push_gsr(GsrBatch(np.arange(e.start, e.stop) / 4.0, rec.eda[e]))
        if second >= 60 and (second + 1) % 5 == 0:
            start = time.perf_counter()
            stream.update(second + 1.0)
            costs.append(time.perf_counter() - start)
    return 1e6 * float(np.median(costs))


def main() -> None:
    paths = common.recordings(PARTICIPANTS)
    if not paths:
        print(f"Stress-Predict data not found at {common.RAW}: skipped")
        return
    recs = [load_e4(p) for p in paths]
    hours = sum(r.bvp.size / r.bvp_fs for r in recs) / 3600
    measured = _measure((_neurokit, _ours_stream, _ours_offline), recs)
    (nk_s, nk_mib), (stream_s, stream_mib), (offline_s, offline_mib) = measured
    print(f"{len(recs)} Stress-Predict recordings, {hours:.1f} h of 64 Hz BVP + 4 Hz EDA")
    print("throughput in hours of recording per CPU second (x real time), peak MiB (tracemalloc)")
    for name, s, mib in (
        ("NeuroKit2 ppg_process+hrv_time+eda_process", nk_s, nk_mib),
        ("ours, live stream (1 s batches)", stream_s, stream_mib),
        ("ours, offline (whole recording)", offline_s, offline_mib),
    ):
        print(f"  {name:<44} {hours / s:7.2f} h/s ({hours * 3600 / s:7.0f}x)  {mib:7.1f} MiB")
    print(f"  speed ratio, stream vs NeuroKit2:  {nk_s / stream_s:5.1f}x")
    print(f"  speed ratio, offline vs NeuroKit2: {nk_s / offline_s:5.1f}x")
    print(f"  memory ratio, NeuroKit2 / stream:  {nk_mib / stream_mib:5.1f}x")
    print(f"  one 60 s window update (stream):   {_window_update_us(recs[0]):.0f} us (median)")


if __name__ == "__main__":
    main()
