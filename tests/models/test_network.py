"""Training needs the `train` extra (TensorFlow); without it these tests skip."""

import numpy as np
import pytest

tf = pytest.importorskip(
    "tensorflow", reason="training needs TensorFlow: pip install -e '.[train]'"
)


def test_int8_conversion_agrees_with_keras_and_is_reproducible():
    from models import network

    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (600, 8)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    a = network.fit_keras(x, y, seed=3, epochs=5)
    b = network.fit_keras(x, y, seed=3, epochs=5)
    pa = a.predict(x[:50], verbose=0).reshape(-1)
    assert np.allclose(pa, b.predict(x[:50], verbose=0).reshape(-1), atol=1e-5)
    lite = network.tflite_predict(network.to_int8_tflite(a, x), x[:50])
    assert np.max(np.abs(lite - pa)) < 0.05
