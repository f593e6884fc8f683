import numpy as np

from appliance.affect.drift import MIN_WINDOWS, DriftMonitor

NAMES = ("a", "b", "c")


def test_training_like_inputs_do_not_drift():
    rng = np.random.default_rng(0)
    mon = DriftMonitor(NAMES)
    for _ in range(200):
        status = mon.update(rng.normal(0, 1, 3))
    assert not status.drifting and not mon.ever_drifted
    assert status.n_windows == 200


def test_shifted_inputs_drift_and_name_the_feature():
    rng = np.random.default_rng(0)
    mon = DriftMonitor(NAMES)
    for _ in range(MIN_WINDOWS - 1):
        status = mon.update(rng.normal(0, 1, 3) + np.array([0, 3.0, 0]))
    assert not status.drifting  # too few windows for a verdict
    for _ in range(20):
        status = mon.update(rng.normal(0, 1, 3) + np.array([0, 3.0, 0]))
    assert status.drifting and status.worst_feature == "b"
    assert status.as_dict()["worst_feature"] == "b"


def test_frequent_outliers_drift_even_with_a_centred_mean():
    mon = DriftMonitor(NAMES)
    for i in range(60):
        status = mon.update(np.array([6.0 if i % 2 else -6.0, 0, 0]))
    assert status.drifting and status.outlier_share > 0.25
