"""Serving artifacts of a trained model, each checked in its own runtime before it is written.

Keras's `Model.export` makes them: a TensorFlow SavedModel, ONNX (through tf2onnx) and
LiteRT (TensorFlow's TFLite converter). Each artifact is made in a temporary folder,
loaded in the runtime that will serve it (TensorFlow, onnxruntime, the LiteRT
interpreter) and run on sample inputs shaped by the model; only when its predictions match
`model.predict` is it moved into place, so a wrong artifact is never left behind.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kcfg.run.mapping import as_tensors
from kcfg.run.synthetic import synthetic_arrays

#: Format -> the artifact's default name under `<run>/export/`.
FORMATS = {"saved_model": "saved_model", "onnx": "model.onnx", "litert": "model.tflite"}
#: Format -> the modules it needs beyond TensorFlow (the `export` extra).
NEEDS = {"saved_model": (), "onnx": ("tf2onnx", "onnxruntime"), "litert": ("ai_edge_litert",)}
SAMPLES = 4
EXTRA_HINT = "pip install 'kcfg-keras[export]'"
#: Converters fold and reorder float arithmetic; predictions within this are the same.
ATOL, RTOL = 1e-4, 1e-3

#: What the TFLite converter says when builtin ops cannot express a graph (tensor lists of recurrent layers, other TF ops).
NEEDS_TF_OPS = re.compile(r"TensorList|TF Select|SELECT_TF_OPS|Flex|not supported by the native TFLite runtime|TF ops?\b")

Inputs = dict[str, np.ndarray]
Runner = Callable[[Inputs], list[np.ndarray]]


class ExportUnavailable(Exception):
    """The format's runtime or converter is not installed, or cannot take this artifact."""


class ExportMismatch(Exception):
    """The artifact, run in its runtime, predicts something other than the model."""


@dataclass
class Exported:
    """What was written, and how closely it matched the model."""

    path: Path
    format: str
    largest_difference: float
    notes: list[str] = field(default_factory=list)


def sample_inputs(model: Any, samples: int = SAMPLES) -> Inputs:
    """Random inputs shaped and typed by the model (token ids stay below their Embedding's size)."""
    arrays = synthetic_arrays(model, {}, samples, seed=0)
    return {name: arrays[name] for name in input_names(model)}


def input_names(model: Any) -> list[str]:
    return [tensor._keras_history.operation.name for tensor in model.inputs]


def keras_inputs(model: Any, inputs: Inputs) -> Any:
    """Inputs as `model.predict` takes them without a warning: the array itself for a one-input model,
    text as string tensors (Keras refuses NumPy strings)."""
    names = input_names(model)
    tensors = as_tensors(inputs, set()) or {}
    return tensors[names[0]] if len(names) == 1 else tensors


def as_list(predictions: Any) -> list[np.ndarray]:
    """Predictions in the model's output order."""
    if isinstance(predictions, dict):
        return [np.asarray(predictions[name]) for name in predictions]
    if isinstance(predictions, (list, tuple)):
        return [np.asarray(p) for p in predictions]
    return [np.asarray(predictions)]


def by_output_index(outputs: dict[str, Any]) -> list[np.ndarray]:
    """`{output_0: ..., output_1: ...}` (SavedModel and LiteRT signatures) in output order."""
    return [np.asarray(outputs[key]) for key in sorted(outputs, key=lambda key: int(key.rpartition("_")[2]))]


def export_model(model: Any, format: str, output: Path, *, overwrite: bool = False) -> Exported:
    """Export `model` to `output` in `format` once its predictions there match `model.predict`.

    Raises:
        ExportUnavailable: a package the format needs is missing, or its runtime cannot run the artifact.
        ExportMismatch: the artifact predicts differently; nothing is written.
        FileExistsError: `output` exists and `overwrite` is false.
    """
    missing = [name for name in NEEDS[format] if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportUnavailable(f"--format {format} needs {' and '.join(missing)}: {EXTRA_HINT}")
    if output.exists() and not overwrite:
        raise FileExistsError(f"{output} exists; give --overwrite to replace it")
    if format == "litert" and output.suffix != ".tflite":
        raise ExportUnavailable(f"a LiteRT artifact's name ends in .tflite, not {output.name!r}")
    inputs = sample_inputs(model)
    expected = as_list(model.predict(keras_inputs(model, inputs), verbose=0))  # also what Keras's exporters need: a model that has been called
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".tmp-export-") as folder:
        artifact = Path(folder) / output.name
        with warnings.catch_warnings():  # Keras's numpy-2 patch of tf2onnx probes np.object, which warns
            warnings.filterwarnings("ignore", message="In the future `np.object`", category=FutureWarning)
            notes, run = EXPORTERS[format](model, artifact)
        largest = compare(expected, run(inputs), format)
        if output.is_dir():
            shutil.rmtree(output)
        os.replace(artifact, output)
    return Exported(output, format, largest, notes)


def compare(expected: list[np.ndarray], got: list[np.ndarray], format: str) -> float:
    """The largest difference between the model's and the artifact's predictions; raises if they differ."""
    if len(got) != len(expected):
        raise ExportMismatch(f"the {format} artifact has {len(got)} output(s), the model {len(expected)}")
    largest = 0.0
    for i, (want, have) in enumerate(zip(expected, got)):
        if want.shape != have.shape:
            raise ExportMismatch(f"the {format} artifact's output {i} has shape {have.shape}, the model's {want.shape}")
        difference = float(np.max(np.abs(want.astype("float64") - have.astype("float64")))) if want.size else 0.0
        if not np.allclose(have, want, atol=ATOL, rtol=RTOL):
            raise ExportMismatch(f"the {format} artifact predicts differently from the model (output {i}: largest difference {difference:.3g}); nothing written")
        largest = max(largest, difference)
    return largest


# ---------------------------------------------------------------- the formats


def saved_model(model: Any, path: Path) -> tuple[list[str], Runner]:
    import tensorflow as tf

    model.export(str(path), format="tf_saved_model", verbose=False)
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    return [], lambda inputs: by_output_index(serve(**{name: tf.constant(value) for name, value in inputs.items()}))


def onnx(model: Any, path: Path) -> tuple[list[str], Runner]:
    import onnxruntime

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)  # one INFO line per graph rewrite otherwise
    model.export(str(path), format="onnx", verbose=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [node.name for node in session.get_inputs()]
    return [], lambda inputs: [np.asarray(out) for out in session.run(None, {name: inputs[name] for name in names})]


def litert(model: Any, path: Path) -> tuple[list[str], Runner]:
    """LiteRT's builtin ops when they can express the model; recurrent layers need a fixed batch for that.

    Keras converts with SELECT_TF_OPS as a fallback, which needs the Flex delegate at run
    time: the LiteRT interpreter here has none, so such an artifact is refused as
    unverifiable instead of written unchecked.
    """
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter
    from tensorflow.lite.python.convert_phase import ConverterError  # not public under tf.lite

    builtins = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    notes: list[str] = []
    try:
        model.export(str(path), format="litert", verbose=False, target_spec=builtins)
        batch = None
    except ConverterError as exc:
        if not NEEDS_TF_OPS.search(str(exc)):
            raise
        signature = [{name: tf.TensorSpec((1, *tensor.shape[1:]), tensor.dtype, name=name) for name, tensor in zip(input_names(model), model.inputs)}]
        try:
            model.export(str(path), format="litert", verbose=False, target_spec=builtins, input_signature=signature)
        except ConverterError as fixed:
            raise ExportUnavailable(
                "the model needs TensorFlow ops that LiteRT's builtin ops lack (SELECT_TF_OPS), and the LiteRT interpreter "
                f"here has no Flex delegate to check such an artifact with: {' '.join(str(fixed).split())[:300]}"
            ) from fixed
        batch = 1
        notes.append("layers that loop over time (LSTM, GRU, ...) run on LiteRT's builtin ops only at a fixed batch size: the artifact takes one sample per call (batch size 1)")
    runner = Interpreter(model_path=str(path)).get_signature_runner()

    def run(inputs: Inputs) -> list[np.ndarray]:
        if batch is None:
            return by_output_index(runner(**inputs))
        count = len(next(iter(inputs.values())))
        rows = [by_output_index(runner(**{name: value[i : i + 1] for name, value in inputs.items()})) for i in range(count)]
        return [np.concatenate(parts) for parts in zip(*rows)]

    return notes, run


EXPORTERS: dict[str, Callable[[Any, Path], tuple[list[str], Runner]]] = {"saved_model": saved_model, "onnx": onnx, "litert": litert}
