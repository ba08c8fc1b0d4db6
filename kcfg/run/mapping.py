"""The `x`/`y`/`sample_weight` mappings of a data source, the model signature they map onto, and the shapes they fit.

A mapping is a key (or a headerless CSV's column index), a list of them stacked into one
input, or a mapping from model input or output name to those. Arrays (NumPy) and streams
(TensorFlow tensors) share these rules; `array_mapping.py` and `tensor_mapping.py` apply them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from kcfg.recipe.errors import KeyPath, PathProblem
from kcfg.run.synthetic import loss_kind

Shape = tuple[int | None, ...]


class FeedError(PathProblem):
    """Data that does not fit the model: reported at `path` of the recipe."""


@dataclass
class ModelSignature:
    """The names, per-sample shapes and input dtypes a feed must match."""

    inputs: dict[str, Shape]
    outputs: dict[str, Shape]
    losses: dict[str, Any]
    dtypes: dict[str, str] = field(default_factory=dict)  # input name -> Keras dtype

    @classmethod
    def of(cls, model: Any, losses: dict[str, Any]) -> ModelSignature:
        inputs = {t._keras_history.operation.name: tuple(t.shape[1:]) for t in model.inputs}
        outputs = {name: tuple(t.shape[1:]) for name, t in zip(model.output_names, model.outputs)}
        return cls(inputs, outputs, losses, {t._keras_history.operation.name: str(t.dtype) for t in model.inputs})

    def is_sparse(self, output: str) -> bool:
        return loss_kind(self.losses.get(output)) == "sparse"


def column_name(key: Any) -> Any:
    """A mapping's column as the arrays name it: a headerless CSV's column index `3` is column "3"."""
    if isinstance(key, list):
        return [column_name(k) for k in key]
    return str(key) if isinstance(key, int) else key


def as_mapping(mapping: Any, names: list[str]) -> dict[str, Any] | None:
    """Model input (or output) name -> its column(s); one key given for one name applies to it (for several, to each)."""
    if mapping is None:
        return None
    if isinstance(mapping, (str, int)):
        return {names[0]: column_name(mapping)} if len(names) == 1 else {name: column_name(mapping) for name in names}
    return {name: column_name(key) for name, key in mapping.items()}


def default_key(keys: Any, name: str, key: str, count: int) -> str | None:
    """The key a model input (`key` "x") or output ("y") reads when the recipe maps none: its name, or `key` for the only one."""
    candidates = [name, key] if count == 1 else [name]
    return next((c for c in candidates if c in keys), None)


def unwrap(part: dict[str, Any] | None) -> Any:
    """One array for a model with one input (or output); the dict by name for several."""
    if part is None:
        return None
    return next(iter(part.values())) if len(part) == 1 else part


def as_tensors(part: dict[str, np.ndarray] | None, strings: set[str]) -> dict[str, Any] | None:
    """The arrays of string inputs (names in `strings`) as TensorFlow string tensors.

    Keras's array adapter refuses NumPy strings but takes tensors; numbers read from a
    file for a string input (a column of codes) become their text.
    """
    if part is None:
        return None
    return {name: tf.constant(array.astype(str)) if name in strings or array.dtype.kind in "USO" else array for name, array in part.items()}


def mapped_columns(mapping: Any) -> list[str]:
    """Every column a mapping reads."""
    if mapping is None:
        return []
    if isinstance(mapping, (str, int)):
        return [column_name(mapping)]
    return [column_name(c) for value in mapping.values() for c in (value if isinstance(value, list) else [value])]


def fitted_shape(sample: tuple[int, ...], shape: Shape, *, reshape: bool, sparse: bool) -> Shape | str | None:
    """The per-sample shape data of shape `sample` takes to fit `shape`: None when it fits as it is, else the
    shape to reshape to, or a string saying why it cannot fit.

    Targets of an output `(..., C)` with a sparse loss may be class ids `(...)` or
    `(..., 1)` at any rank (segmentation masks, tags), as Keras's sparse losses take them.
    """

    def fits(wanted: Shape, given: tuple[int, ...]) -> bool:
        return len(wanted) == len(given) and all(s is None or s == a for s, a in zip(wanted, given))

    if fits(shape, sample):
        return None
    if len(shape) == len(sample) + 1 and shape[-1] == 1 and fits(shape[:-1], sample):
        return (*sample, 1)  # labels (n,) for an output (n, 1); images without a channel axis
    if reshape and None not in shape and math.prod(sample) == math.prod(d for d in shape if d is not None):
        return shape
    if not reshape and len(shape) == 1 and len(sample) == 0:
        return None  # class ids for a softmax output
    ids_shaped = not reshape and bool(shape) and (fits(shape[:-1], sample) or (sample[-1:] == (1,) and fits(shape[:-1], sample[:-1])))
    if ids_shaped and sparse:
        return None
    return " (class ids need a sparse loss such as sparse_categorical_crossentropy)" if ids_shaped else ""


def shape_error(path: KeyPath, shape: tuple[int | None, ...], name: str, wanted: Shape, hint: str) -> FeedError:
    return FeedError(path, f"{'array' if shape[0] is not None else 'data'} of shape {shape} does not fit {name!r}, which takes (samples, {', '.join('None' if s is None else str(s) for s in wanted)}){hint}")
