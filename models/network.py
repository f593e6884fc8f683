"""The affect network: fitting, int8 conversion and scoring, shared by training and
evaluation so that every model they score is made the same way."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from appliance.affect.input_map import QuantileMap

SEED = 0
EPOCHS = 30
BATCH = 256
LEARNING_RATE = 3e-3
HIDDEN = (16, 8)
# Strong weight decay on every layer, no dropout: with 33 people the risk is learning the
# people, not the task. Leave-one-out AUROC (int8): 0.770 at 6e-3 on the hidden layers only,
# 0.791 at 6e-3 on every layer, 0.801 at 1.2e-2 (docs/model.md, "What has been tried").
L2 = 1.2e-2
N_REPRESENTATIVE = 2000  # training rows that set the int8 ranges
CLASSES = ("not_stress", "stress")
# On the network's P(stress): evaluation scores with these and training writes them into
# affect.json, so both read them here.
THRESHOLDS = {"decision": 0.5, "calm_below": 0.35, "stressed_above": 0.65}


def tf():
    """TensorFlow, imported on first use (a `train` extra only) and kept to one thread: the
    network is tiny, so more threads only add overhead (same fit time measured), and one
    thread lets evaluation folds run side by side in separate processes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    try:
        tensorflow.config.threading.set_intra_op_parallelism_threads(1)
        tensorflow.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process: the setting stands
        pass
    return tensorflow


def fit_keras(z: np.ndarray, y: np.ndarray, seed: int = SEED, epochs: int = EPOCHS):
    """A small MLP on mapped inputs (input_map.QuantileMap), classes weighted to balance."""
    t = tf()
    t.keras.utils.set_random_seed(seed)
    t.config.experimental.enable_op_determinism()
    reg = t.keras.regularizers.l2(L2)
    layers = [t.keras.Input(shape=(z.shape[1],), name="features")]
    # Fixed model and layer names: Keras numbers unnamed ones per process, and the names are in
    # the TFLite file, so the same training would otherwise give different bytes after the
    # evaluation folds than without them.
    for k, units in enumerate(HIDDEN, start=1):
        layers += [
            t.keras.layers.Dense(
                units, activation="relu", kernel_regularizer=reg, name=f"hidden_{k}"
            )
        ]
    layers += [
        t.keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=reg, name="p_stress")
    ]
    model = t.keras.Sequential(layers, name="affect")
    model.compile(optimizer=t.keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy")
    pos = float(np.mean(y))
    weights = np.where(y == 1, 0.5 / max(pos, 1e-6), 0.5 / max(1 - pos, 1e-6)).astype(np.float32)
    model.fit(
        z.astype(np.float32),
        y.astype(np.float32),
        sample_weight=weights,
        epochs=epochs,
        batch_size=BATCH,
        shuffle=True,
        verbose=0,
    )
    return model


def to_int8_tflite(model, representative: np.ndarray, seed: int = SEED) -> bytes:
    """Full-integer quantisation: int8 weights, activations, input and output."""
    t = tf()
    rng = np.random.default_rng(seed)
    rows = representative[rng.permutation(len(representative))[:N_REPRESENTATIVE]]

    def samples():
        for row in rows:
            yield [row[None, :].astype(np.float32)]

    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = t.int8
    converter.inference_output_type = t.int8
    return converter.convert()


def tflite_predict(model_bytes: bytes, z: np.ndarray) -> np.ndarray:
    """P(stress) per row of mapped inputs, by the LiteRT interpreter on the int8 model."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    q = np.clip(np.round(np.asarray(z, np.float32) / in_scale + in_zero), -128, 127).astype(np.int8)
    result = np.empty(len(q))
    for i, row in enumerate(q):
        interp.set_tensor(inp["index"], row[None, :])
        interp.invoke()
        result[i] = (float(interp.get_tensor(out["index"]).reshape(-1)[0]) - out_zero) * out_scale
    return result


@dataclass(frozen=True)
class Int8Model:
    """What the device runs: the input map and the int8 file (plus the Keras model it came
    from, for the agreement reference)."""

    input_map: QuantileMap
    tflite: bytes
    keras: object

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(stress) for raw input rows, as the device computes it."""
        return tflite_predict(self.tflite, self.input_map(x))


def fit_int8(x: np.ndarray, y: np.ndarray, seed: int = SEED) -> Int8Model:
    """Input map, network and int8 conversion, all fitted on these rows only."""
    input_map = QuantileMap.fit(x)
    z = input_map(x)
    keras = fit_keras(z, y, seed)
    return Int8Model(input_map, to_int8_tflite(keras, z, seed), keras)
