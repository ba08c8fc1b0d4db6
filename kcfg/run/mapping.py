"""The `x`/`y`/`sample_weight` mappings of a data source, and the arrays they pick, as Keras takes them.

A mapping is a key (or a headerless CSV's column index), a list of them stacked into one
input, or a mapping from model input or output name to those.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf


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


def unwrap(part: dict[str, np.ndarray] | None) -> Any:
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
