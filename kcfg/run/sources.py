"""Reading each kind of data source: arrays by key, or a stream Keras iterates itself.

Array sources (npz, npy, csv, keras, python returning arrays) give `{key: ndarray}`;
`feeding.py` maps keys to the model's inputs and outputs. Stream sources (images, python
returning a dataset, PyDataset or generator) give the object to iterate.
"""

from __future__ import annotations

import csv
import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from kcfg.recipe.schema import CsvSource, ImagesSource, KerasSource, NpzSource, PythonSource

Arrays = dict[str, np.ndarray]


class SourceError(Exception):
    """A data source that cannot be read; `key` is the source's key to report it at."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def read_npz(source: NpzSource, base: Path) -> Arrays:
    """`.npz` keys, a `.npy` file (key: its stem), or a folder of `KEY.npy` files."""
    path = base / source.path
    if not path.exists():
        raise SourceError("path", f"{path} does not exist")
    if path.is_dir():
        return {p.stem: np.load(p, allow_pickle=False) for p in sorted(path.glob("*.npy"))}
    if path.suffix == ".npy":
        return {path.stem: np.load(path, allow_pickle=False)}
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def read_csv(source: CsvSource, base: Path) -> Arrays:
    """Columns by header name (without a header: by `columns`, else by index "0", "1", ...);
    numbers become float32 (int64 when every value is whole)."""
    path = base / source.path
    if not path.is_file():
        raise SourceError("path", f"{path} does not exist")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=source.delimiter))
    if not rows:
        raise SourceError("path", f"{path} is empty")
    header, body = (rows[0], rows[1:]) if source.header else (source.columns or [str(i) for i in range(len(rows[0]))], rows)
    if len(header) != len(rows[0]):
        raise SourceError("columns", f"columns names {len(header)} columns, but {path} has {len(rows[0])}")
    columns: Arrays = {}
    for i, name in enumerate(header):
        values = [row[i] for row in body]
        try:
            numbers = np.array([float(v) for v in values])
        except ValueError:
            columns[name] = np.array(values)
            continue
        whole = numbers.size and np.all(numbers == np.round(numbers))
        columns[name] = numbers.astype("int64") if whole else numbers.astype("float32")
    return columns


#: keras.datasets stored by Keras as one `.npz` of train and test arrays: read from the cache as is.
_NPZ_DATASETS = {"mnist": "mnist.npz"}


def read_keras(source: KerasSource) -> Arrays:
    """A `keras.datasets` split as keys `x` and `y`, from `$KERAS_HOME/datasets` when cached there.

    The loader's arguments (`num_words`, `maxlen`, ...) go to its `load_data`; word-id
    sequences come back as they are, of different lengths (feeding pads them to the input).
    """
    from keras.src.backend.config import keras_home

    cached = Path(keras_home()) / "datasets" / _NPZ_DATASETS.get(source.name, "-")
    if cached.is_file() and not source.loader_kwargs():
        with np.load(cached, allow_pickle=False) as archive:
            return {"x": archive[f"x_{source.split}"], "y": archive[f"y_{source.split}"]}
    import keras

    try:
        train, test = getattr(keras.datasets, source.name).load_data(**source.loader_kwargs())
    except Exception as exc:  # network, disk, or a corrupt cache: all mean "not readable here"
        raise SourceError("name", f"cannot load keras dataset {source.name!r}: {type(exc).__name__}: {exc}") from exc
    x, y = train if source.split == "train" else test
    return {"x": x, "y": y}


def read_images(source: ImagesSource, base: Path, seed: int | None) -> Any:
    """An unbatched dataset of (image, label) from class-per-subfolder images."""
    import keras

    path = base / source.path
    if not path.is_dir():
        raise SourceError("path", f"{path} is not a folder of class subfolders")
    return keras.utils.image_dataset_from_directory(
        path, image_size=tuple(source.image_size), color_mode=source.color_mode,
        label_mode=source.label_mode, batch_size=None, shuffle=False, seed=seed, verbose=False,
    )


def call_python(source: PythonSource, base: Path) -> Any:
    """Whatever the function returns: dataset, PyDataset, generator, (x, y) or a dict of arrays."""
    module_name, _, attr = source.function.partition(":")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        function = getattr(importlib.import_module(module_name), attr)
        return function(**source.kwargs)
    except Exception as exc:  # user code can raise anything; report it at the source's line
        raise SourceError("function", f"{source.function} failed: {type(exc).__name__}: {exc}") from exc
