"""The transparent peer, the graded and recovery scores and the cross-study tables (the
network itself is never trained here: TensorFlow is a train extra)."""

import math

import numpy as np

from appliance.affect.model_features import FEATURE_NAMES
from models import cross_report, metrics, peer, phase_metrics
from models.studies import Phase, Session


def _rows(n, rng, shift=0.0):
    x = rng.normal(0, 1, (n, len(FEATURE_NAMES))).astype(np.float32)
    y = (rng.random(n) < 0.35).astype(np.int64)
    x[:, peer.COLUMNS[0]] += 1.5 * y + shift  # HR carries the stress, the rest is noise
    return x, y


def test_logistic_fit_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1, (20000, 2))
    p = 1 / (1 + np.exp(-(0.5 + 2.0 * z[:, 0] - 1.0 * z[:, 1])))
    y = (rng.random(len(p)) < p).astype(float)
    beta = peer.fit_logistic(z, y, l2=0.0)
    assert np.allclose(beta, [0.5, 2.0, -1.0], atol=0.1)
    # A strong penalty shrinks the slopes, never the intercept's freedom.
    shrunk = peer.fit_logistic(z, y, l2=10.0)
    assert np.all(np.abs(shrunk[1:]) < np.abs(beta[1:]))


def test_peer_learns_from_its_inputs_and_chooses_l2_inside_training():
    rng = np.random.default_rng(1)
    subjects = [_rows(300, rng, shift=0.2 * k) for k in range(5)]
    l2, scores = peer.choose_l2(subjects)
    assert l2 in peer.L2_GRID and set(scores) == set(peer.L2_GRID)
    fitted = peer.train_peer(subjects)
    x, y = _rows(500, np.random.default_rng(9))
    assert metrics.auroc(y, fitted.predict(x)) > 0.8
    # Only the four calibration-relative inputs matter: other columns change nothing.
    scrambled = x.copy()
    others = [i for i in range(x.shape[1]) if i not in peer.COLUMNS]
    scrambled[:, others] = 0
    assert np.allclose(fitted.predict(scrambled), fitted.predict(x))
    again = peer.Peer.from_dict(fitted.as_dict())
    assert np.allclose(again.predict(x), fitted.predict(x), atol=1e-4)


def test_the_shipped_peer_file_loads():
    shipped = peer.load()
    assert shipped.threshold == 0.5 and shipped.l2 in peer.L2_GRID
    p = shipped.predict(np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32))
    assert 0.0 < p[0] < 1.0


def _session(p_values, t_end, phases, reports=None):
    n = len(t_end)
    phase = np.full(n, -1)
    for k, ph in enumerate(phases):
        phase[(t_end > ph.start_s) & (t_end <= ph.end_s)] = k
    y = np.array([phases[k].label if k >= 0 else np.nan for k in phase], dtype=float)
    return Session(
        "P1", "test", np.zeros((n, len(FEATURE_NAMES))), t_end, y, phase, tuple(phases),
        reports or {},
    )  # fmt: skip


def test_graded_correlation_follows_reports():
    phases = [Phase(f"ph{k}", 100.0 * k, 100.0 * (k + 1), k % 2) for k in range(5)]
    t = np.arange(5.0, 500.0, 5.0)
    reports = {f"ph{k}": float(v) for k, v in enumerate([1, 4, 2, 6, 3])}
    p = np.array([reports[f"ph{int((ti - 1e-9) // 100)}"] / 10 for ti in t])
    same = phase_metrics.graded([_session(p, t, phases, reports)], [p])
    assert math.isclose(same["median_rho"], 1.0)
    flat = {k: 2.0 for k in reports}  # reports that never change say nothing
    assert phase_metrics.graded([_session(p, t, phases, flat)], [p])["n_subjects"] == 0


def test_recovery_counts_a_fall_and_the_time_to_halfway():
    phases = [Phase("rest", 0, 200, 0), Phase("task", 200, 300, 1), Phase("after", 300, 600, 0)]
    t = np.arange(185.0, 600.0, 5.0)
    p = np.where(t <= 300, 0.9, np.maximum(0.1, 0.9 - (t - 300) / 100))  # 0.9 → 0.1 by 380 s
    s = _session(p, t, phases)
    (r,) = phase_metrics.recoveries(s, p)
    assert r.falls and math.isclose(r.before, 0.9) and math.isclose(r.after, 0.1)
    assert r.halfway_s == 40.0  # 0.5 reached 40 s after the task's end
    summary = phase_metrics.recovery([s], [p])
    assert summary["share_falls"] == 1.0 and summary["n_rests"] == 1
    rising = np.where(t <= 300, 0.2, 0.8)
    assert phase_metrics.recovery([s], [rising])["share_falls"] == 0.0


def test_paired_difference_of_a_model_with_itself_is_zero():
    rng = np.random.default_rng(2)
    scored = [(rng.integers(0, 2, 50), rng.random(50)) for _ in range(6)]
    diff = metrics.paired_difference(scored, scored, (0.5, 0.5), resamples=50)
    assert all(v == (0.0, 0.0, 0.0) for v in diff.values())


def test_cross_section_replaces_only_its_own_part(tmp_path):
    f = tmp_path / "EVALUATION.md"
    f.write_text("# Evaluation\n\nwithin-study tables\n")
    cross_report.write_section(f, f"{cross_report.BEGIN}\nfirst\n{cross_report.END}")
    cross_report.write_section(f, f"{cross_report.BEGIN}\nsecond\n{cross_report.END}")
    text = f.read_text()
    assert text.startswith("# Evaluation\n\nwithin-study tables\n")
    assert "second" in text and "first" not in text and text.count(cross_report.BEGIN) == 1


def test_retraining_keeps_the_cross_study_tables(tmp_path):
    from models import evaluate

    f = tmp_path / "EVALUATION.md"
    section = f"{cross_report.BEGIN}\n| a | b |\n{cross_report.END}"
    f.write_text("# old within-study tables\n\n" + section + "\n")
    assert evaluate._cross_study_section(f) == section
    assert evaluate._cross_study_section(tmp_path / "absent.md") == ""
