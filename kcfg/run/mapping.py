"""The `x`/`y`/`sample_weight` mappings of a data source, the model signature they map onto, and the shapes they fit.

A mapping is a key (or a headerless CSV's column index), a list of them stacked into one
input, or a mapping from model input or output name to those. Arrays (NumPy) and streams
(TensorFlow tensors) share these rules; `array_mapping.py` and `tensor_mapping.py` apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from kcfg.recipe.data_mapping import Shape, as_mapping, column_name, default_key, fitted_shape, mapped_columns
from kcfg.recipe.errors import KeyPath, PathProblem
from kcfg.run.synthetic import loss_kind

__all__ = ["FeedError", "ModelSignature", "Shape", "as_mapping", "as_tensors", "column_name", "default_key", "fitted_shape", "mapped_columns", "shape_error", "unwrap"]


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


def shape_error(path: KeyPath, shape: tuple[int | None, ...], name: str, wanted: Shape, hint: str) -> FeedError:
    return FeedError(path, f"{'array' if shape[0] is not None else 'data'} of shape {shape} does not fit {name!r}, which takes (samples, {', '.join('None' if s is None else str(s) for s in wanted)}){hint}")
