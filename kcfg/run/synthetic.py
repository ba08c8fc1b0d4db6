"""Random data shaped by the model: what `synthetic` sources and `kcfg smoke` train on.

Features follow each input's shape and dtype (integer inputs stay below the `input_dim`
of the Embedding that reads them). Targets follow each output and its loss: class ids for
sparse categorical losses, one-hot rows for categorical ones, 0/1 for binary ones,
zeros for the `y_pred` loss, floats otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kcfg.recipe import Y_PRED_LOSS

#: Free axes (None in a shape) get this length.
FREE_AXIS = 8


def loss_kind(loss: Any) -> str:
    """'sparse', 'categorical', 'binary', 'y_pred' or 'other', from a loss name or {type: ...}."""
    name = loss if isinstance(loss, str) else (loss or {}).get("type", "") if isinstance(loss, dict) else getattr(loss, "type", "")
    flat = str(name).replace("_", "").lower()
    if name == Y_PRED_LOSS:
        return "y_pred"
    if "sparsecategorical" in flat:
        return "sparse"
    if "categorical" in flat:
        return "categorical"
    if "binary" in flat or flat in ("hinge", "squaredhinge"):
        return "binary"
    return "other"


def _embedding_sizes(model: Any) -> dict[str, int]:
    """Input name -> input_dim of an Embedding (at any depth) that reads it directly."""
    sizes: dict[str, int] = {}
    for layer in model.layers:
        if type(layer).__name__ == "Embedding":
            for node in layer._inbound_nodes:
                for tensor in node.input_tensors:
                    sizes[tensor._keras_history.operation.name] = layer.input_dim
    return sizes


def synthetic_arrays(model: Any, losses: dict[str, Any], samples: int, seed: int | None) -> dict[str, np.ndarray]:
    """Arrays keyed by model input and output names."""
    rng = np.random.default_rng(seed)
    vocab = _embedding_sizes(model)
    arrays: dict[str, np.ndarray] = {}
    for tensor in model.inputs:
        name = tensor._keras_history.operation.name
        shape = (samples, *(FREE_AXIS if d is None else d for d in tensor.shape[1:]))
        if "int" in str(tensor.dtype):
            arrays[name] = rng.integers(0, vocab.get(name, 2), size=shape).astype(str(tensor.dtype))
        else:
            arrays[name] = rng.normal(size=shape).astype("float32")
    for name, tensor in zip(model.output_names, model.outputs):
        shape = (samples, *(FREE_AXIS if d is None else d for d in tensor.shape[1:]))
        kind = loss_kind(losses.get(name))
        classes = shape[-1] if len(shape) > 1 else 1
        if kind == "sparse":
            arrays[name] = rng.integers(0, classes, size=shape[:-1]).astype("int32")
        elif kind == "categorical":
            arrays[name] = np.eye(classes, dtype="float32")[rng.integers(0, classes, size=shape[:-1])]
        elif kind == "binary":
            arrays[name] = rng.integers(0, 2, size=shape).astype("float32")
        elif kind == "y_pred":
            arrays[name] = np.zeros(shape, "float32")
        else:
            arrays[name] = rng.uniform(size=shape).astype("float32")
    return arrays
