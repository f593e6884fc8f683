import numpy as np
import pytest

from appliance.affect.input_map import QuantileMap


def _training(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    heavy = rng.standard_t(df=2, size=n)  # a heavy-tailed feature
    often_zero = np.where(rng.random(n) < 0.6, 0.0, rng.exponential(size=n))
    return np.column_stack([heavy, often_zero])


def test_bulk_is_spread_and_tails_are_bounded():
    x = _training()
    z = QuantileMap.fit(x)(x)
    assert np.all(np.abs(z) < 3.0)
    assert np.std(z[:, 0]) == pytest.approx(1.0, abs=0.1)
    # Standardising by the SD would squeeze the bulk: its middle half spans far less.
    middle = np.percentile(x[:, 0], [25, 75])
    assert np.ptp(np.percentile(z[:, 0], [25, 75])) > 3 * np.ptp(middle) / np.std(x[:, 0])


def test_map_keeps_order_and_clamps_outside_the_training_range():
    x = _training()
    m = QuantileMap.fit(x)
    grid = np.column_stack([np.linspace(-50, 50, 501), np.linspace(-1, 10, 501)])
    z = m(grid)
    assert np.all(np.diff(z, axis=0) >= 0)
    assert z[0, 0] == m.scores[0, 0] and z[-1, 0] == m.scores[0, -1]


def test_ties_map_to_one_score_in_the_middle_of_their_mass():
    x = _training()
    z0 = QuantileMap.fit(x)(np.array([0.0, 0.0]))[1]
    # 60 % of the values are 0: their score is the normal quantile of ~0.3, not an end.
    assert z0 == pytest.approx(-0.52, abs=0.08)


def test_one_vector_and_rows_agree_and_round_trip_through_lists():
    x = _training()
    m = QuantileMap.fit(x)
    again = QuantileMap.from_lists(**{k: v for k, v in m.as_lists().items() if k != "kind"})
    assert np.allclose(m(x[:50]), again(x[:50]), atol=1e-4)
    assert np.array_equal(m(x[7]), m(x[7:8])[0])


def test_malformed_tables_are_refused():
    with pytest.raises(ValueError, match="non-decreasing"):
        QuantileMap.from_lists([[0.0, 2.0, 1.0]], [[-1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="tables"):
        QuantileMap.from_lists([[0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]])
