"""The mapping rules of `array_mapping.py` over tensors: TFRecord features and TFDS elements, mapped inside tf.data."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.run.array_mapping import ArrayMapping
from kcfg.run.mapping import FeedError, fitted_shape, shape_error, unwrap

Tensors = dict[str, Any]


def element(x: Any, y: Any, weights: Any) -> Any:
    """One element as Keras's fit takes it: x, (x, y) or (x, y, sample_weight), one tensor per part for one input."""
    parts = [unwrap(p) for p in (x, y, weights) if p is not None]
    return parts[0] if len(parts) == 1 else tuple(parts)


class TensorMapping(ArrayMapping):
    """Batched tensors by feature name -> model inputs and outputs (traced once, when the dataset is mapped)."""

    key_kind = "feature"

    def element(self, features: Tensors, source: Any, path: KeyPath, with_targets: bool) -> Any:
        x, y, weights = self.parts(features, source, path, with_targets)
        strings = {name for name, dtype in self.signature.dtypes.items() if dtype == "string"}
        x = {name: tf.strings.as_string(t) if name in strings and t.dtype != tf.string else t for name, t in (x or {}).items()}
        return element(x, y, weights)

    def check_text(self, x: Tensors, path: KeyPath) -> None:
        for name, tensor in x.items():
            dtype = self.signature.dtypes.get(name, "string")
            if tensor.dtype == tf.string and dtype != "string":
                raise FeedError(path, f"the feature for input {name!r} is text, but the input takes {dtype}: give it `dtype: string` (and a StringLookup or TextVectorization to read it), or numbers")

    @staticmethod
    def stacked(arrays: Tensors, wanted: list[str], path: KeyPath) -> Any:
        return tf.stack([tf.cast(arrays[c], arrays[wanted[0]].dtype) for c in wanted], axis=-1)

    def fit_shape(self, array: Any, shape: tuple[int | None, ...], name: str, path: KeyPath, reshape: bool) -> Any:
        sample = tuple(array.shape[1:])
        if None in sample:  # a free axis (images of any size): Keras checks it when it runs
            return array
        fitted = fitted_shape(sample, shape, reshape=reshape, sparse=self.signature.is_sparse(name))
        if isinstance(fitted, str):
            raise shape_error(path, tuple(array.shape), name, shape, fitted)
        return array if fitted is None else tf.reshape(array, [-1, *(d if d is not None else -1 for d in fitted)])
