"""Reading each kind of data source: arrays by key, or a stream Keras iterates itself.

Array sources (npz, npy, keras, python returning arrays) give `{key: ndarray}`;
`feeding.py` maps keys to the model's inputs and outputs. Stream sources (images, python
returning a dataset, PyDataset or generator) give the object to iterate; table and record
files stream through `tables.py` and `records.py`.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kcfg.recipe.schema import ImagesSource, KerasSource, NpzSource, PythonSource

Arrays = dict[str, np.ndarray]


class SourceError(Exception):
    """A data source that cannot be read; `key` is the source's key to report it at."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def memory_bytes() -> int:
    """This machine's memory: no array source may promise more than that."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def readable(path: Path, *, folder: bool = False) -> Path:
    """`path` if it is a regular file (or, with `folder`, a folder); a FIFO or device would hang or never end."""
    if not path.exists():
        raise SourceError("path", f"{path} does not exist")
    if path.is_dir() if folder else path.is_file():
        return path
    raise SourceError("path", f"{path} is not a {'folder' if folder else 'regular file'}")


def _npy_bytes(handle: Any) -> int:
    """What a .npy stream's header says its array takes, read without reading the array."""
    version = np.lib.format.read_magic(handle)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read_header(handle)
    return math.prod(shape) * dtype.itemsize


def _check_size(promised: int, what: str) -> None:
    if promised > memory_bytes():
        raise SourceError("path", f"{what} holds an array of {promised / 2**30:.1f} GiB, more than this machine's memory ({memory_bytes() / 2**30:.1f} GiB)")


def _load_npy(path: Path) -> np.ndarray:
    with open(path, "rb") as handle:
        _check_size(_npy_bytes(handle), str(path))
    return np.load(path, allow_pickle=False)


def read_npz(source: NpzSource, base: Path) -> Arrays:
    """`.npz` keys, a `.npy` file (key: its stem), or a folder of `KEY.npy` files.

    Headers are read before arrays, so a file that promises more than memory is refused at once;
    object arrays are refused (allow_pickle stays off).
    """
    path = base / source.path
    try:
        if path.is_dir():
            return {p.stem: _load_npy(readable(p)) for p in sorted(path.glob("*.npy"))}
        if readable(path).suffix == ".npy":
            return {path.stem: _load_npy(path)}
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as stream:
                    _check_size(max(member.file_size, _npy_bytes(stream)), f"{path} ({member.filename})")
        with np.load(path, allow_pickle=False) as arrays:
            return {key: arrays[key] for key in arrays.files}
    except SourceError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise SourceError("path", f"{path} is not a readable .npz or .npy file: {' '.join(str(exc).split())[:200]}") from exc


#: keras.datasets stored by Keras as one `.npz` of train and test arrays: read from the cache as is.
_NPZ_DATASETS = {"mnist": "mnist.npz"}


def read_keras(source: KerasSource, *, safe: bool = False) -> Arrays:
    """A `keras.datasets` split as keys `x` and `y`, from `$KERAS_HOME/datasets` when cached there.

    The loader's arguments (`num_words`, `maxlen`, ...) go to its `load_data`; word-id
    sequences come back as they are, of different lengths (feeding pads them to the input).
    Under --safe nothing is downloaded: only a dataset already in the cache is read.
    """
    from keras.src.backend.config import keras_home

    cached = Path(keras_home()) / "datasets" / _NPZ_DATASETS.get(source.name, "-")
    if cached.is_file() and not source.loader_kwargs():
        with np.load(cached, allow_pickle=False) as archive:
            return {"x": archive[f"x_{source.split}"], "y": archive[f"y_{source.split}"]}
    if safe:
        raise SourceError("name", f"refused in --safe mode (KCFG_SAFE=1): keras dataset {source.name!r} is not in {cached.parent} and would be downloaded")
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

    path = readable(base / source.path, folder=True)
    return keras.utils.image_dataset_from_directory(
        path, image_size=tuple(source.image_size), color_mode=source.color_mode,
        label_mode=source.label_mode, batch_size=None, shuffle=False, seed=seed, verbose=False,
    )


def plugin_function(spec: str, base: Path, key: str) -> Any:
    """The function `module:attr` names, its module imported from beside the recipe or the Python path."""
    module_name, _, attr = spec.partition(":")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        return getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # importing user code can raise anything; report it at the recipe's line
        raise SourceError(key, f"cannot import {spec}: {type(exc).__name__}: {exc}") from exc


def call_python(source: PythonSource, base: Path) -> Any:
    """Whatever the function returns: dataset, PyDataset, generator, (x, y) or a dict of arrays."""
    function = plugin_function(source.function, base, "function")
    try:
        return function(**source.kwargs)
    except Exception as exc:  # user code can raise anything; report it at the source's line
        raise SourceError("function", f"{source.function} failed: {type(exc).__name__}: {exc}") from exc
