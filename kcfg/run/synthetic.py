"""Random data shaped by the model: what `synthetic` sources and `kcfg smoke` train on.

Features follow each input's shape and dtype: floats, 0/1 booleans, strings (words; a
few words per text for a `TextVectorization`), integers below the size of the layer that
reads them (an `Embedding`'s `input_dim`, a `CategoryEncoding`'s `num_tokens`) or drawn
from a lookup layer's vocabulary. Targets follow each output and its loss: class ids for
sparse categorical losses (at any rank: `(samples, H, W)` masks for a `(H, W, C)` output),
one-hot rows for categorical ones, 0/1 for binary ones, zeros for the `y_pred` loss,
floats otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from kcfg.recipe import Y_PRED_LOSS

#: Free axes (None in a shape) get this length.
FREE_AXIS = 8
#: Words that synthetic strings are made of, and how many make one text.
WORDS = [f"w{i}" for i in range(16)]
WORDS_PER_TEXT = 5
#: Integer inputs that no layer bounds: ids below this (pixels of uint8 images: below 256).
DEFAULT_IDS = 2


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


def input_name(tensor: Any) -> str:
    return str(tensor._keras_history.operation.name)


def direct_readers(model: Any) -> dict[str, list[Any]]:
    """Input name -> the model's layers that read that input tensor as it is."""
    readers: dict[str, list[Any]] = {}
    if model is None:
        return readers
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                readers.setdefault(input_name(tensor), []).append(layer)
    return readers


def _bound(readers: Iterable[Any]) -> tuple[int | None, list[Any] | None, bool]:
    """What the reading layers allow: an id bound, a vocabulary, and whether they want texts."""
    high, vocabulary, texts = None, None, False
    for layer in readers:
        kind = type(layer).__name__
        if kind == "Embedding":
            high = layer.input_dim
        elif kind == "CategoryEncoding":
            high = layer.num_tokens
        elif kind == "TextVectorization":
            texts = True
        if hasattr(layer, "get_vocabulary") and vocabulary is None:
            special = {"", "[UNK]", getattr(layer, "oov_token", "")}
            words = [w for w in layer.get_vocabulary() if w not in special]
            vocabulary = words or None
    return high, vocabulary, texts


def feature_array(tensor: Any, readers: list[Any], samples: int, rng: np.random.Generator) -> np.ndarray:
    """Random values for one model input, of its shape and dtype, in the range its readers take."""
    shape = (samples, *(FREE_AXIS if d is None else d for d in tensor.shape[1:]))
    dtype = str(tensor.dtype)
    high, vocabulary, texts = _bound(readers)
    if dtype == "string":
        words = [str(w) for w in vocabulary] if vocabulary else WORDS
        if texts:
            return np.array([" ".join(rng.choice(words, size=WORDS_PER_TEXT)) for _ in range(int(np.prod(shape)))]).reshape(shape)
        return rng.choice(np.array(words), size=shape)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if "int" in dtype:
        if vocabulary and high is None:
            return rng.choice(np.array(vocabulary), size=shape).astype(dtype)
        return rng.integers(0, high or (256 if dtype == "uint8" else DEFAULT_IDS), size=shape).astype(dtype)
    return rng.normal(size=shape).astype("float32")


def synthetic_inputs(inputs: list[Any], model: Any, samples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Arrays keyed by input name; `model` (None before it is built) tells which layers read each input."""
    readers = direct_readers(model)
    return {input_name(t): feature_array(t, readers.get(input_name(t), []), samples, rng) for t in inputs}


def target_array(tensor: Any, loss: Any, samples: int, rng: np.random.Generator) -> np.ndarray:
    shape = (samples, *(FREE_AXIS if d is None else d for d in tensor.shape[1:]))
    kind = loss_kind(loss)
    classes = shape[-1] if len(shape) > 1 else 1
    if kind == "sparse":
        return rng.integers(0, classes, size=shape[:-1]).astype("int32")
    if kind == "categorical":
        return np.eye(classes, dtype="float32")[rng.integers(0, classes, size=shape[:-1])]
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype("float32")
    if kind == "y_pred":
        return np.zeros(shape, "float32")
    return rng.uniform(size=shape).astype("float32")


def synthetic_arrays(model: Any, losses: dict[str, Any], samples: int, seed: int | None) -> dict[str, np.ndarray]:
    """Arrays keyed by model input and output names."""
    rng = np.random.default_rng(seed)
    arrays = synthetic_inputs(model.inputs, model, samples, rng)
    for name, tensor in zip(model.output_names, model.outputs):
        arrays[name] = target_array(tensor, losses.get(name), samples, rng)
    return arrays
