import math

import numpy as np
import pytest

from models import labels, metrics


def test_interval_labels_with_header_and_gaps(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("start_s,end_s,label\n0,10,0\n10,20.5,1\n\n30,40,0\n")
    rows = labels.read_interval_labels(f)
    per_second = labels.per_second_from_intervals(rows, 45)
    assert per_second[:10].tolist() == [0.0] * 10
    assert per_second[10:21].tolist() == [1.0] * 11
    assert np.isnan(per_second[25]) and np.isnan(per_second[44])


def test_bad_label_row_names_file_and_line(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("start_s,end_s,label\n0,10,0\n10,5,1\n")
    with pytest.raises(ValueError, match=r"labels.csv:3"):
        labels.read_interval_labels(f)


def test_clock_labels_and_window_majority():
    per_second = labels.per_second_from_clock(
        np.arange(1000.0, 1100.0), np.r_[np.zeros(60), np.ones(40)], 990.0, 120
    )
    assert np.isnan(per_second[:10]).all() and per_second[70] == 1.0
    out = labels.window_labels(per_second, np.array([60.0, 110.0, 170.0]), np.array([60.0] * 3))
    assert out[0] == 0.0 and out[1] == 1.0  # 50 labelled s, 40 of them stress at t = 110
    assert np.isnan(out[2])  # beyond the recording


def test_stress_episodes_are_numbered():
    ep = labels.stress_episode_index(np.array([0, 1, 1, 0, 0, 1, np.nan, 1, 1, 0]))
    assert ep.tolist() == [0, 1, 1, 0, 0, 2, 0, 3, 3, 0]


def test_auroc_known_values():
    y = np.array([0, 0, 1, 1])
    assert metrics.auroc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert metrics.auroc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert metrics.auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert metrics.auroc(y, np.array([0.1, 0.6, 0.4, 0.9])) == 0.75
    assert math.isnan(metrics.auroc(np.ones(3), np.array([0.1, 0.2, 0.3])))


def test_balanced_accuracy_and_macro_f1_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1])
    pred = np.array([0, 0, 0, 1, 1, 0])
    assert metrics.balanced_accuracy(y, pred) == pytest.approx((3 / 4 + 1 / 2) / 2)
    f1_neg = 2 * 3 / (2 * 3 + 1 + 1)
    f1_pos = 2 * 1 / (2 * 1 + 1 + 1)
    assert metrics.macro_f1(y, pred) == pytest.approx((f1_neg + f1_pos) / 2)
    m = metrics.summary(y, pred.astype(float), 0.5)
    assert m["sensitivity"] == pytest.approx(1 / 2) and m["specificity"] == pytest.approx(3 / 4)
    assert math.isnan(metrics.summary(np.zeros(3), np.ones(3), 0.5)["sensitivity"])


def test_report_has_majority_baseline_and_subject_intervals():
    rng = np.random.default_rng(1)
    subjects = []
    for _ in range(8):
        y = rng.integers(0, 2, 50)
        subjects.append((y, np.clip(y * 0.4 + rng.uniform(0, 0.6, 50), 0, 1)))
    r = metrics.report(subjects, 0.5)
    assert r["n_subjects"] == 8
    lo, hi = r["ci95"]["auroc"]
    assert lo <= r["auroc"] <= hi and hi - lo > 0
    assert r["majority_baseline"]["balanced_accuracy"] == 0.5
    assert r["per_subject"]["auroc"]["sd"] >= 0
