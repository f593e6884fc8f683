"""A recording re-cut as a session begun later: what the evaluation's session-start table
scores."""

import numpy as np
import pytest

from appliance.affect import model_features as mf
from appliance.signals.features import WindowFeatures
from models import dataset, evaluate, metrics
from models.recordings import SubjectWindows


def _recording(stress_from: float, stress_to: float, end: float = 1200.0) -> SubjectWindows:
    """Windows every 5 s; HR and skin conductance high while stressed."""
    out, labels = [], []
    for t in np.arange(60.0, end + 1, 5.0):
        stressed = stress_from <= t - 30 < stress_to  # the window's middle
        window = WindowFeatures(
            t_end=float(t), window_s=60.0, hr_bpm=90.0 if stressed else 70.0,
            rmssd_ms=40.0, sdnn_ms=50.0, n_beats=70, scl_us=4.0 if stressed else 2.0,
            scl_slope_us_per_min=0.0, scr_per_min=2.0, ppg_quality=0.9, eda_quality=0.9,
        )  # fmt: skip
        out.append(window)
        labels.append(float(stressed))
    labels = np.array(labels)
    return SubjectWindows("S99", out, labels, labels.astype(int))


def test_begun_at_zero_is_the_recording_as_it_is():
    rec = _recording(400, 700)
    begun, calib_stress = dataset.session_begun_at(rec, 0, 180.0)
    expected, mask, _ = mf.session_vectors(rec.windows, 180.0)
    np.testing.assert_array_equal(begun.x, expected)
    np.testing.assert_array_equal(begun.y, rec.labels[mask])
    np.testing.assert_array_equal(begun.episode, rec.episode[mask])
    assert calib_stress == 0.0


def test_begun_during_stress_takes_its_baseline_from_the_stress():
    rec = _recording(400, 700)
    # Begun at 400 s: the first window covers 400-460 s and the calibration is all stress.
    begun, calib_stress = dataset.session_begun_at(rec, 400, 180.0)
    assert calib_stress == 1.0
    assert len(begun.y) == sum(w.t_end - 400 > 180 for w in rec.windows if w.t_end - 60 >= 400)
    y, hr_rel = begun.y, begun.x[:, mf.FEATURE_NAMES.index("hr_rel")]
    # Against a stressed baseline, the stress reads as baseline and the rest after it as low.
    assert hr_rel[0] == pytest.approx(0.0)
    assert hr_rel[y == 0].max() == pytest.approx(70 / 90 - 1)


def test_evaluation_writes_a_row_per_session_start(tmp_path):
    rng = np.random.default_rng(0)
    people = [(rng.integers(0, 2, 40), rng.uniform(0, 1, 40)) for _ in range(4)]
    report = metrics.report(people, 0.5)
    starts = [
        {"start_s": t, "calibration_stress_share": share, **report}
        for t, share in ((0, 0.0), (600, 0.74))
    ]
    results = {
        "all_tasks": report,
        "without_hyperventilation": report,
        "per_subject": [],
        "session_starts": starts,
    }
    path = tmp_path / "EVALUATION.md"
    evaluate.write_markdown(path, results, {"calibration_s": 180.0})
    rows = [r for r in path.read_text().splitlines() if r.startswith(("| at the", "| 10 min"))]
    assert len(rows) == 2 and "| 74% |" in rows[1]
    compact = evaluate.metrics_for_json(results)["session_starts"]
    assert [r["start_s"] for r in compact] == [0, 600]
    assert set(compact[1]) == {
        "start_s", "calibration_stress_share", "n_windows", "balanced_accuracy",
        "sensitivity", "specificity", "auroc",
    }  # fmt: skip
