"""Running the affect model: an int8 TFLite file and its JSON description.

The interpreter comes from LiteRT (`ai_edge_litert`), else from `tflite_runtime`; TensorFlow is
never needed on the device. A model is refused unless its JSON names exactly the features this
pipeline computes, in the same order: a model fed the wrong inputs would answer confidently
and wrongly, which is worse than falling back to the rule estimate.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.affect.input_map import QuantileMap
from appliance.affect.model_features import FEATURE_NAMES

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "affect.tflite"
# The affect.json this code reads: 2 = quantile input map; 3 = the same inputs, but only
# windows of usable quality move the session's low and high (a format 2 model learnt the old
# meaning under the same names).
MODEL_FORMAT = 3


class ModelUnavailable(RuntimeError):
    """The model cannot be used: no runtime, a missing or unreadable file, or wrong inputs."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex: what affect.json records of affect.tflite."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_model_file(path: Path, expected: object) -> None:
    """Raise ModelUnavailable unless the file's SHA-256 is the one its description records: a
    corrupted weights file can still load and answer, only differently (measured: 1 in 40
    random corruptions), so nothing else would notice."""
    if not isinstance(expected, str) or len(expected) != 64:
        raise ModelUnavailable(
            f"model description {path.with_suffix('.json')} records no model_sha256 for "
            f"{path.name}, so the file cannot be checked: retrain with `attune model train`"
        )
    found = file_sha256(path)
    if found != expected.lower():
        raise ModelUnavailable(
            f"model file {path} is corrupted: its SHA-256 is {found[:12]}…, its description "
            f"records {expected[:12]}…; reinstall or retrain it"
        )


class FeatureMismatch(ModelUnavailable):
    """The model was trained on other features than the pipeline computes."""


@dataclass(frozen=True)
class ModelSpec:
    feature_names: tuple[str, ...]
    input_map: QuantileMap  # raw features → the model's inputs
    mean: np.ndarray  # per feature: the training distribution, for the drift monitor
    scale: np.ndarray
    classes: tuple[str, ...]
    calm_below: float  # P(stress) below this: calm
    stressed_above: float  # P(stress) above this: stressed
    decision_threshold: float
    calibration_s: float
    window_s: float | None  # the analysis window the inputs were computed on (None: unrecorded)
    raw: dict

    @classmethod
    def from_json(cls, path: Path) -> ModelSpec:
        try:
            d = json.loads(Path(path).read_text())
            if d.get("format") != MODEL_FORMAT:
                raise ModelUnavailable(
                    f"model description {path} has format {d.get('format')!r}; this version "
                    f"reads format {MODEL_FORMAT}: retrain with `attune model train`"
                )
            norm, thr, imap = d["normalisation"], d["thresholds"], d["input_map"]
            cuts = [float(thr[k]) for k in ("calm_below", "decision", "stressed_above")]
            if not 0 < cuts[0] < cuts[1] < cuts[2] < 1:
                raise ModelUnavailable(
                    f"model description {path}: thresholds must satisfy 0 < calm_below < "
                    f"decision < stressed_above < 1, found {cuts}"
                )
            return cls(
                feature_names=tuple(d["features"]),
                input_map=QuantileMap.from_lists(imap["knots"], imap["scores"]),
                mean=np.asarray(norm["mean"], dtype=np.float32),
                scale=np.asarray(norm["scale"], dtype=np.float32),
                classes=tuple(d["classes"]),
                calm_below=float(thr["calm_below"]),
                stressed_above=float(thr["stressed_above"]),
                decision_threshold=float(thr["decision"]),
                calibration_s=float(d["calibration_s"]),
                window_s=float(d["window_s"]) if "window_s" in d else None,
                raw=d,
            )
        except FileNotFoundError:
            raise ModelUnavailable(f"model description {path} not found") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailable(f"model description {path} is malformed: {exc!r}") from None


def check_features(model_features: tuple[str, ...], pipeline_features: tuple[str, ...]) -> None:
    """Raise FeatureMismatch, saying where, unless both lists are identical."""
    if tuple(model_features) == tuple(pipeline_features):
        return
    missing = [f for f in pipeline_features if f not in model_features]
    extra = [f for f in model_features if f not in pipeline_features]
    first = next(
        (
            i
            for i, (a, b) in enumerate(zip(model_features, pipeline_features, strict=False))
            if a != b
        ),
        min(len(model_features), len(pipeline_features)),
    )
    raise FeatureMismatch(
        f"the model's feature list does not match this pipeline's "
        f"({len(model_features)} vs {len(pipeline_features)} features, first difference at "
        f"position {first}; the model lacks {missing or 'none'}, has unknown {extra or 'none'}); "
        "retrain it with `attune model train`"
    )


def check_session_fit(spec: ModelSpec, window_s: float) -> None:
    """Raise ModelUnavailable when this device's analysis window differs from the one the
    model learned on: its inputs (rates per minute, smoothed levels) would mean something else."""
    if spec.window_s is not None and abs(window_s - spec.window_s) > 1e-6:
        raise ModelUnavailable(
            f"the model was trained on {spec.window_s:g} s analysis windows and "
            f"session.window_s is {window_s:g} s; set it back to {spec.window_s:g} or retrain"
        )


def load_interpreter_class():
    """The TFLite Interpreter class from LiteRT, else tflite_runtime."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter
    except ImportError:
        raise ModelUnavailable(
            "no TFLite runtime: install ai-edge-litert (or tflite-runtime)"
        ) from None


class AffectModel:
    """P(stress) for model input vectors (len(FEATURE_NAMES), as ContextFeatures makes them)."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        pipeline_features: tuple[str, ...] = FEATURE_NAMES,
        num_threads: int = 1,
    ) -> None:
        self.path = Path(model_path or DEFAULT_MODEL_PATH)
        self.spec = ModelSpec.from_json(self.path.with_suffix(".json"))
        check_features(self.spec.feature_names, pipeline_features)
        if not self.path.exists():
            raise ModelUnavailable(f"model file {self.path} not found")
        check_model_file(self.path, self.spec.raw.get("model_sha256"))
        interpreter_class = load_interpreter_class()
        try:
            self._interp = interpreter_class(model_path=str(self.path), num_threads=num_threads)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"cannot load {self.path}: {exc}") from None
        inp = self._interp.get_input_details()[0]
        out = self._interp.get_output_details()[0]
        n_features = len(self.spec.feature_names)
        if int(inp["shape"][-1]) != n_features or self.spec.input_map.knots.shape[0] != n_features:
            raise FeatureMismatch(
                f"{self.path} takes {inp['shape'][-1]} inputs and its input map "
                f"{self.spec.input_map.knots.shape[0]}, but its description lists "
                f"{n_features} features"
            )
        self._in_index, self._in_dtype = inp["index"], inp["dtype"]
        self._in_scale, self._in_zero = inp["quantization"]
        self._out_index, self._out_dtype = out["index"], out["dtype"]
        self._out_scale, self._out_zero = out["quantization"]
        self._scale = np.where(self.spec.scale > 0, self.spec.scale, 1.0).astype(np.float32)

    def standardise(self, x: np.ndarray) -> np.ndarray:
        """Raw features in training SDs from the training mean (the drift monitor's units)."""
        return (np.asarray(x, dtype=np.float32) - self.spec.mean) / self._scale

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw features → the network's inputs (the input map)."""
        return self.spec.input_map(x)

    def predict_encoded(self, z: np.ndarray) -> np.ndarray:
        """P(stress) per row of already encoded inputs."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        out = np.empty(len(z), dtype=np.float64)
        for i, row in enumerate(z):
            self._interp.set_tensor(self._in_index, self._quantise(row[None, :]))
            self._interp.invoke()
            out[i] = self._dequantise(self._interp.get_tensor(self._out_index)).reshape(-1)[0]
        return np.clip(out, 0.0, 1.0)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(stress) per row of raw input vectors."""
        return self.predict_encoded(self.encode(np.atleast_2d(x)))

    def _quantise(self, z: np.ndarray) -> np.ndarray:
        if self._in_dtype == np.float32:
            return z.astype(np.float32)
        info = np.iinfo(self._in_dtype)
        q = np.round(z / self._in_scale + self._in_zero)
        return np.clip(q, info.min, info.max).astype(self._in_dtype)

    def _dequantise(self, q: np.ndarray) -> np.ndarray:
        if self._out_dtype == np.float32:
            return q.astype(np.float64)
        return (q.astype(np.float64) - self._out_zero) * self._out_scale


def arousal_from_p_stress(p: float, calm_below: float, stressed_above: float) -> float:
    """Map P(stress) piecewise-linearly so the model's calm and stressed thresholds land on the
    shared arousal cut-offs (appliance.affect.estimate): labels then agree across estimators."""
    from appliance.affect.estimate import CALM_BELOW, STRESSED_ABOVE

    if not math.isfinite(p):
        return math.nan
    xs = [0.0, calm_below, stressed_above, 1.0]
    ys = [0.0, CALM_BELOW, STRESSED_ABOVE, 1.0]
    return float(np.interp(p, xs, ys))
