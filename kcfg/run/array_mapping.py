"""Arrays by key (or column) -> the arrays of each model input and output, shaped to fit them.

Mapping rules (RECIPE.md section 6): `x`/`y`/`sample_weight` map model input and output
names to array keys or columns (a list of columns is stacked into one input). Without
a mapping, a single input reads key `x` (or its own name; from a table, every column the
targets do not use) and a single output key `y` (or its own name); several inputs or
outputs read keys named after them. An array whose sample holds as many values as the
input takes is reshaped to it (MNIST's 28x28 images into a 784-wide input). Table files
stream: the same rules run on each block of rows they are read in.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import CsvSource, ParquetSource
from kcfg.run.csv_faults import shown
from kcfg.run.mapping import FeedError, ModelSignature, as_mapping, default_key, fitted_shape, mapped_columns, shape_error

Arrays = dict[str, np.ndarray]
#: x, y and sample_weight: each model input's (output's) arrays, or None.
Parts = tuple[Arrays | None, Arrays | None, Arrays | None]
TABLE_SOURCES = (CsvSource, ParquetSource)


def class_ids(values: np.ndarray, labels: list[str] | dict[str, int], path: KeyPath) -> np.ndarray:
    """Target values (strings, or numbers read as text) as the class ids `labels` gives them."""
    ids = {name: i for i, name in enumerate(labels)} if isinstance(labels, list) else dict(labels)
    text = values.astype(str)
    unknown = sorted(set(text.ravel()) - set(ids))
    if unknown:
        raise FeedError(path, f"target value {str(unknown[0])!r} is not among labels ({', '.join(map(repr, ids))})")
    return np.vectorize(ids.__getitem__, otypes=["int64"])(text)


def target_columns(source: Any, keys: Any, signature: ModelSignature) -> list[str]:
    """The columns a table's targets read (by the mapping, else by output name or `y`)."""
    return mapped_columns(source.y) or [c for c in (*signature.outputs, "y") if c in keys]


def with_default_x(source: Any, keys: list[str], signature: ModelSignature) -> Any:
    """A table without an x mapping for a one-input model: every column the targets and weights do not use."""
    if not isinstance(source, TABLE_SOURCES) or source.x is not None or len(signature.inputs) != 1 or {*signature.inputs, "x"} & set(keys):
        return source
    used = {c for mapping in (source.y, source.sample_weight) for c in mapped_columns(mapping)} | (set(signature.outputs) | {"y"} if source.y is None else set())
    return source.model_copy(update={"x": {next(iter(signature.inputs)): [c for c in keys if c not in used]}})


def first_text(array: np.ndarray) -> Any:
    """The first string of an array of text (or of text and numbers)."""
    return next((value for value in array.flat if isinstance(value, (str, bytes))), array.flat[0])


class ArrayMapping:
    """The mapping rules over arrays, for one model."""

    key_kind = "key or column"

    def __init__(self, signature: ModelSignature) -> None:
        self.signature = signature

    def parts(self, arrays: Arrays, source: Any, path: KeyPath, with_targets: bool) -> Parts:
        """x, y and sample_weight by the source's mapping; every part holds the same number of samples."""
        sig = self.signature
        source = with_default_x(source, list(arrays), sig)
        if isinstance(source, TABLE_SOURCES) and source.labels is not None and with_targets:
            arrays = {**arrays, **{c: class_ids(arrays[c], source.labels, path + ("labels",)) for c in target_columns(source, arrays, sig) if c in arrays}}
        x = self.pick(arrays, source.x, sig.inputs, "x", path, reshape=True)
        y = self.pick(arrays, source.y, sig.outputs, "y", path, reshape=False) if with_targets else None
        weights = None
        if source.sample_weight is not None:
            weights = self.pick(arrays, source.sample_weight, {n: () for n in sig.outputs}, "sample_weight", path, reshape=False, check_shape=False)
        counts = {a.shape[0] for part in (x, y, weights) if part is not None for a in part.values()} - {None}
        if len(counts) > 1:
            raise FeedError(path, f"arrays have different numbers of samples: {sorted(counts)}")
        if x is not None:
            self.check_text(x, path)
        return x, y, weights

    def check_text(self, x: Arrays, path: KeyPath) -> None:
        """Text for an input that takes numbers: TensorFlow would fail deep in the first step."""
        for name, array in x.items():
            dtype = self.signature.dtypes.get(name, "string")
            if array.dtype.kind in "USO" and array.size and dtype != "string":
                raise FeedError(path, f"the data for input {name!r} is text ({shown(first_text(array))}), but the input takes {dtype}: give it `dtype: string` (and a StringLookup or TextVectorization to read it), or numbers")

    def pick(self, arrays: Arrays, mapping: Any, shapes: dict[str, Any], key: str, path: KeyPath, *, reshape: bool, check_shape: bool = True) -> Arrays | None:
        """Arrays for each model input (or output), by the mapping or the default keys."""
        names = list(shapes)
        given = as_mapping(mapping, names)
        picked: Arrays = {}
        for name in names:
            if given is not None and name not in given:
                continue
            columns = given[name] if given is not None else default_key(arrays, name, key, len(names))
            entry_path = path + (key, name) if isinstance(mapping, dict) else path + (key,)
            if columns is None:
                if key == "x" or given is not None:
                    raise FeedError(path, f"no data for model {'input' if key == 'x' else 'output'} {name!r}: give {'.'.join(map(str, path[1:]))}.{key} (keys here: {', '.join(sorted(arrays)) or 'none'})")
                return None
            picked[name] = self.column_array(arrays, columns, entry_path)
            if check_shape:
                picked[name] = self.fit_shape(picked[name], shapes[name], name, entry_path, reshape)
        return picked

    def column_array(self, arrays: Any, columns: str | list[str], path: KeyPath) -> Any:
        """The array of one key, or the named columns stacked on a last axis."""
        wanted = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in wanted if c not in arrays]
        if missing:
            raise FeedError(path, f"no {self.key_kind} {missing[0]!r} (there are: {', '.join(sorted(arrays))})")
        return arrays[columns] if isinstance(columns, str) else self.stacked(arrays, wanted, path)

    @staticmethod
    def stacked(arrays: Arrays, wanted: list[str], path: KeyPath) -> np.ndarray:
        text = [c for c in wanted if arrays[c].dtype.kind in "USO"]
        if text and len(text) < len(wanted):
            raise FeedError(path, f"column {text[0]!r} holds text ({shown(first_text(arrays[text[0]]))}), but the columns stacked with it hold numbers: map it to an input of its own, or declare its type (dtypes)")
        return np.stack([arrays[c] for c in wanted], axis=-1)

    def fit_shape(self, array: np.ndarray, shape: tuple[int | None, ...], name: str, path: KeyPath, reshape: bool) -> np.ndarray:
        """The array itself when its sample shape matches; reshaped when only the layout differs."""
        if array.dtype == object and reshape and len(shape) == 1 and len(array) and isinstance(array.flat[0], (list, np.ndarray)):  # word-id sequences of different lengths
            array = keras.utils.pad_sequences(list(array), maxlen=shape[0])
        fitted = fitted_shape(array.shape[1:], shape, reshape=reshape, sparse=self.signature.is_sparse(name))
        if isinstance(fitted, str):
            raise shape_error(path, array.shape, name, shape, fitted)
        return array if fitted is None else array.reshape((len(array), *fitted))
