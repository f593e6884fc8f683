"""Beat and heart-rate agreement with references nobody here wrote, ours beside NeuroKit2.

Stress-Predict (participants 2-35, Empatica E4): the share of the E4's own IBI.csv beats matched
within 50 ms by our streamed beats and by NeuroKit2's `ppg_process` peaks, and the HR error per
60 s window against the E4's IBI-derived HR (ours: the window's HR as the device computes it;
NeuroKit2: the mean of its PPG_Rate over the window). HeartPy's example PPG: agreement with
HeartPy's peaks and BPM. Run: python -m bench signals_accuracy
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from appliance.vocabulary import USABLE_QUALITY
from bench import signals_common as common
from models.analyse import analyse_recording
from models.e4 import load_e4


def _stress_predict() -> None:
    import neurokit2 as nk

    rows = []
    for path in common.recordings():
        rec = load_e4(path)
        x = rec.bvp_blood_volume_up
        ours = analyse_recording(x, rec.bvp_fs, rec.eda, rec.eda_fs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals, info = nk.ppg_process(x, sampling_rate=int(rec.bvp_fs))
        nk_beats = np.asarray(info["PPG_Peaks"]) / rec.bvp_fs
        reference = rec.ibi_beat_times
        ends = np.array([w.t_end for w in ours.windows])
        ref_hr = common.e4_window_hr(rec.ibi_times, rec.ibi_s, ends)
        our_hr = np.array([w.hr_bpm for w in ours.windows])
        quality = np.array([w.quality for w in ours.windows])
        nk_hr = common.mean_rate_per_window(signals["PPG_Rate"].to_numpy(), rec.bvp_fs, ends)
        rows.append(
            dict(
                name=path.name,
                n_ref=reference.size,
                ours_match=common.matched_share(reference, ours.beat_times_s),
                nk_match=common.matched_share(reference, nk_beats),
                ref_hr=ref_hr,
                our_hr=our_hr,
                nk_hr=nk_hr,
                quality=quality,
            )
        )
        r = rows[-1]
        print(
            f"{r['name']}: E4 beats {r['n_ref']:5d}  matched ours {r['ours_match']:.3f}  "
            f"NeuroKit2 {r['nk_match']:.3f}",
            flush=True,
        )
    _summarise(rows)


def _summarise(rows: list[dict]) -> None:
    n_ref = np.array([r["n_ref"] for r in rows])
    ours_match = np.array([r["ours_match"] for r in rows])
    nk_match = np.array([r["nk_match"] for r in rows])
    ref = np.concatenate([r["ref_hr"] for r in rows])
    our = np.concatenate([r["our_hr"] for r in rows])
    nkh = np.concatenate([r["nk_hr"] for r in rows])
    q = np.concatenate([r["quality"] for r in rows])
    has_ref = np.isfinite(ref)
    both = has_ref & np.isfinite(our) & np.isfinite(nkh)
    usable = both & (q >= USABLE_QUALITY)
    err_ours, err_nk = np.abs(our - ref), np.abs(nkh - ref)
    print(f"\nStress-Predict, {len(rows)} recordings, {int(n_ref.sum())} E4 beats")
    pooled_ours = float(np.sum(ours_match * n_ref) / n_ref.sum())
    pooled_nk = float(np.sum(nk_match * n_ref) / n_ref.sum())
    print(
        f"  E4 beats matched within 50 ms (pooled):   ours {pooled_ours:.3f}  "
        f"NeuroKit2 {pooled_nk:.3f}"
    )
    print(
        f"  … median over recordings:                ours {np.median(ours_match):.3f}  "
        f"NeuroKit2 {np.median(nk_match):.3f}"
    )
    print(
        f"  … worst recording:                       ours {ours_match.min():.3f}  "
        f"NeuroKit2 {nk_match.min():.3f}"
    )
    print(f"  60 s windows with an E4 HR: {int(has_ref.sum())}; with both HRs: {int(both.sum())}")
    print(
        f"  HR MAE, all those windows (bpm):         ours {np.mean(err_ours[both]):.2f}  "
        f"NeuroKit2 {np.mean(err_nk[both]):.2f}  "
        f"ratio {np.mean(err_nk[both]) / np.mean(err_ours[both]):.1f}x"
    )
    print(
        f"  HR median abs error (bpm):               ours {np.median(err_ours[both]):.2f}  "
        f"NeuroKit2 {np.median(err_nk[both]):.2f}"
    )
    print(
        f"  HR MAE, windows we mark usable (q>=0.5): ours {np.mean(err_ours[usable]):.2f}  "
        f"NeuroKit2 {np.mean(err_nk[usable]):.2f}  ({int(usable.sum())} windows, "
        f"{usable.sum() / max(1, both.sum()):.0%})"
    )
    poor = both & (q < USABLE_QUALITY)
    if np.any(poor):
        print(
            f"  HR MAE, windows we mark poor (q<0.5):    ours {np.mean(err_ours[poor]):.2f}  "
            f"NeuroKit2 {np.mean(err_nk[poor]):.2f}"
        )
    all_q = q[np.isfinite(q)]
    usable_share = np.mean(all_q >= USABLE_QUALITY)
    print(f"  all our windows usable (q>=0.5): {usable_share:.0%} of {all_q.size}")


def _heartpy() -> None:
    import heartpy as hp
    import neurokit2 as nk

    from appliance.signals.ppg import bandpass, detect_beats, peak_times_s

    data, _ = hp.load_exampledata(0)
    fs = 100.0
    wd, m = hp.process(data, fs)
    reference = np.asarray(wd["peaklist"], dtype=float)
    rejected = set(np.asarray(wd["removed_beats"]).tolist())
    reference = np.array([p for p in reference if p not in rejected]) / fs
    x = bandpass(np.asarray(data, dtype=float), fs)
    ours = peak_times_s(x, fs, detect_beats(x, fs))
    _, info = nk.ppg_process(data, sampling_rate=int(fs))
    nk_beats = np.asarray(info["PPG_Peaks"]) / fs
    print(
        f"\nHeartPy example PPG (data.csv, {len(data) / fs:.0f} s at 100 Hz), "
        f"{reference.size} HeartPy beats"
    )
    print(
        f"  HeartPy beats matched within 50 ms:      "
        f"ours {common.matched_share(reference, ours):.3f}  "
        f"NeuroKit2 {common.matched_share(reference, nk_beats):.3f}"
    )
    print(
        f"  mean HR (bpm): HeartPy {m['bpm']:.2f}  ours {60 / np.mean(np.diff(ours)):.2f}  "
        f"NeuroKit2 {60 / np.mean(np.diff(nk_beats)):.2f}"
    )


def main() -> None:
    if not common.RAW.exists():
        print(f"Stress-Predict data not found at {common.RAW}: skipped")
    else:
        start = time.perf_counter()
        _stress_predict()
        print(f"  ({time.perf_counter() - start:.0f} s)")
    _heartpy()


if __name__ == "__main__":
    main()
