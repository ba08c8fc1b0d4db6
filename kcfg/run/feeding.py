"""Data sources -> what `Model.fit` takes, checked against the model before training starts.

Mapping rules (RECIPE.md section 6): `x`/`y`/`sample_weight` map model input and output
names to array keys or CSV columns (a list of columns is stacked into one input). Without
a mapping, a single input reads key `x` (or its own name; from a CSV, every column the
targets do not use) and a single output key `y` (or its own name); several inputs or
outputs read keys named after them. An array whose
sample holds as many values as the input takes is reshaped to it (MNIST's 28x28 images into
a 784-wide input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kcfg.recipe.errors import KeyPath, PathProblem
from kcfg.recipe.schema import CsvSource, ImagesSource, KerasSource, NpzSource, PythonSource, SyntheticSource
from kcfg.run.mapping import as_mapping, as_tensors, mapped_columns, unwrap
from kcfg.run.sources import Arrays, SourceError, call_python, read_csv, read_images, read_keras, read_npz
from kcfg.run.synthetic import loss_kind, synthetic_arrays


class FeedError(PathProblem):
    """Data that does not fit the model: reported at `path` of the recipe."""


@dataclass
class Feed:
    """Arguments for fit/evaluate/predict: arrays (`x`, `y`, `sample_weight`) or one stream in `x`."""

    x: Any
    y: Any = None
    sample_weight: Any = None
    samples: int | None = None  # None for streams
    steps: int | None = None  # batches in one epoch of a repeated stream (data_parallel)

    @property
    def is_stream(self) -> bool:
        return self.samples is None

    def keras_arguments(self, batch_size: int) -> dict[str, Any]:
        """`x`, `y`, `sample_weight` for fit/evaluate, and `batch_size` for arrays (streams batch themselves)."""
        arguments = {"x": self.x, "y": self.y, "sample_weight": self.sample_weight}
        return arguments if self.is_stream else {**arguments, "batch_size": batch_size}


@dataclass
class ModelSignature:
    """The names, per-sample shapes and input dtypes a feed must match."""

    inputs: dict[str, tuple[int | None, ...]]
    outputs: dict[str, tuple[int | None, ...]]
    losses: dict[str, Any]
    dtypes: dict[str, str] = field(default_factory=dict)  # input name -> Keras dtype

    @classmethod
    def of(cls, model: Any, losses: dict[str, Any]) -> ModelSignature:
        inputs = {t._keras_history.operation.name: tuple(t.shape[1:]) for t in model.inputs}
        outputs = {name: tuple(t.shape[1:]) for name, t in zip(model.output_names, model.outputs)}
        return cls(inputs, outputs, losses, {t._keras_history.operation.name: str(t.dtype) for t in model.inputs})


def class_ids(values: np.ndarray, labels: list[str] | dict[str, int], path: KeyPath) -> np.ndarray:
    """Target values (strings, or numbers read as text) as the class ids `labels` gives them."""
    ids = {name: i for i, name in enumerate(labels)} if isinstance(labels, list) else dict(labels)
    text = values.astype(str)
    unknown = sorted(set(text.ravel()) - set(ids))
    if unknown:
        raise FeedError(path, f"target value {str(unknown[0])!r} is not among labels ({', '.join(map(repr, ids))})")
    return np.vectorize(ids.__getitem__, otypes=["int64"])(text)


class Feeder:
    """Reads one data section (`data.train`, ...) and shapes it for one model."""

    def __init__(self, signature: ModelSignature, base: Path, seed: int | None, model: Any = None, *, safe: bool = False) -> None:
        self.signature = signature
        self.base = base
        self.seed = seed
        self.model = model
        self.safe = safe

    def feed(self, source: Any, path: KeyPath, *, with_targets: bool = True) -> Feed:
        try:
            raw = self.read(source)
        except SourceError as exc:
            raise FeedError(path + (exc.key,), str(exc)) from exc
        except MemoryError as exc:
            raise FeedError(path, f"the data does not fit in this machine's memory ({exc}); use fewer samples (take:)") from exc
        if not isinstance(raw, dict):
            return self.stream(raw, source, path)
        arrays = {key: value[: source.take] if source.take else value for key, value in raw.items()}
        return self.arrays_feed(arrays, source, path, with_targets)

    def read(self, source: Any) -> Any:
        if isinstance(source, SyntheticSource):
            return synthetic_arrays(self.model, self.signature.losses, source.samples, source.seed if source.seed is not None else self.seed)
        if isinstance(source, NpzSource):
            return read_npz(source, self.base)
        if isinstance(source, CsvSource):
            return read_csv(source, self.base)
        if isinstance(source, KerasSource):
            return read_keras(source, safe=self.safe)
        if isinstance(source, ImagesSource):
            return read_images(source, self.base, self.seed)
        assert isinstance(source, PythonSource)
        result = call_python(source, self.base)
        if isinstance(result, tuple) and len(result) in (2, 3) and all(isinstance(a, (np.ndarray, dict)) for a in result):
            return self.tuple_arrays(result)
        return result

    def tuple_arrays(self, result: tuple[Any, ...]) -> Arrays:
        """`(x, y[, sample_weight])` from a python source, keyed the way the default mapping reads."""
        arrays: Arrays = {}
        for key, part in zip(("x", "y", "sample_weight"), result):
            if isinstance(part, dict):
                arrays.update(part)
            else:
                arrays[key] = np.asarray(part)
        return arrays

    def arrays_feed(self, arrays: Arrays, source: Any, path: KeyPath, with_targets: bool) -> Feed:
        sig = self.signature
        if isinstance(source, CsvSource) and source.x is None and len(sig.inputs) == 1 and not {*sig.inputs, "x"} & set(arrays):
            # a CSV without an x mapping for a one-input model: every column the targets do not use
            used = {c for mapping in (source.y, source.sample_weight) for c in mapped_columns(mapping)} | (set(sig.outputs) | {"y"} if source.y is None else set())
            source = source.model_copy(update={"x": {next(iter(sig.inputs)): [c for c in arrays if c not in used]}})
        if isinstance(source, CsvSource) and source.labels is not None and with_targets:
            targets = mapped_columns(source.y) or [c for c in (*sig.outputs, "y") if c in arrays]
            arrays = {**arrays, **{c: class_ids(arrays[c], source.labels, path + ("labels",)) for c in targets if c in arrays}}
        x = self.pick(arrays, source.x, sig.inputs, "x", path, reshape=True)
        y = self.pick(arrays, source.y, sig.outputs, "y", path, reshape=False) if with_targets else None
        weights = None
        if source.sample_weight is not None:
            weights = self.pick(arrays, source.sample_weight, {n: () for n in sig.outputs}, "sample_weight", path, reshape=False, check_shape=False)
        parts = [p for p in (x, y, weights) if p is not None]
        counts = {len(a) for part in parts for a in part.values()}
        if len(counts) > 1:
            raise FeedError(path, f"arrays have different numbers of samples: {sorted(counts)}")
        if counts == {0}:
            raise FeedError(path, "the data has no samples")
        if x is not None:
            self.check_text(x, path)
        strings = {name for name, dtype in sig.dtypes.items() if dtype == "string"}
        return Feed(unwrap(as_tensors(x, strings)), unwrap(y), unwrap(weights), samples=counts.pop() if counts else 0)

    def check_text(self, x: dict[str, np.ndarray], path: KeyPath) -> None:
        """Text for an input that takes numbers: TensorFlow would fail deep in the first step."""
        for name, array in x.items():
            dtype = self.signature.dtypes.get(name, "string")
            if array.dtype.kind in "USO" and array.size and dtype != "string":
                raise FeedError(path, f"the data for input {name!r} is text ({str(array.flat[0])!r}), but the input takes {dtype}: give it `dtype: string` (and a StringLookup or TextVectorization to read it), or numbers")

    def pick(self, arrays: Arrays, mapping: Any, shapes: dict[str, tuple[int | None, ...]], key: str, path: KeyPath, *, reshape: bool, check_shape: bool = True) -> dict[str, np.ndarray] | None:
        """Arrays for each model input (or output), by the mapping or the default keys."""
        names = list(shapes)
        given = as_mapping(mapping, names)
        picked: dict[str, np.ndarray] = {}
        for name in names:
            if given is not None and name not in given:
                continue
            columns = given[name] if given is not None else self.default_key(arrays, name, key, len(names))
            entry_path = path + (key, name) if isinstance(mapping, dict) else path + (key,)
            if columns is None:
                if key == "x" or given is not None:
                    raise FeedError(path, f"no data for model {'input' if key == 'x' else 'output'} {name!r}: give {'.'.join(map(str, path[1:]))}.{key} (keys here: {', '.join(sorted(arrays)) or 'none'})")
                return None
            picked[name] = self.column_array(arrays, columns, entry_path)
            if check_shape:
                picked[name] = self.fit_shape(picked[name], shapes[name], name, entry_path, reshape)
        return picked

    @staticmethod
    def default_key(arrays: Arrays, name: str, key: str, count: int) -> str | None:
        candidates = [name, key] if count == 1 else [name]
        return next((c for c in candidates if c in arrays), None)

    @staticmethod
    def column_array(arrays: Arrays, columns: str | list[str], path: KeyPath) -> np.ndarray:
        wanted = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in wanted if c not in arrays]
        if missing:
            raise FeedError(path, f"no key or column {missing[0]!r} (there are: {', '.join(sorted(arrays))})")
        if isinstance(columns, str):
            return arrays[columns]
        return np.stack([arrays[c] for c in wanted], axis=-1)

    def fit_shape(self, array: np.ndarray, shape: tuple[int | None, ...], name: str, path: KeyPath, reshape: bool) -> np.ndarray:
        """The array itself when its sample shape matches; reshaped when only the layout differs.

        Targets of an output `(..., C)` with a sparse loss may be class ids `(...)` or
        `(..., 1)` at any rank (segmentation masks, tags), as Keras's sparse losses take them.
        """
        if array.dtype == object and reshape and len(shape) == 1:  # word-id sequences of different lengths
            array = keras.utils.pad_sequences(list(array), maxlen=shape[0])
        sample = array.shape[1:]

        def fits(wanted: tuple[int | None, ...], given: tuple[int, ...]) -> bool:
            return len(wanted) == len(given) and all(s is None or s == a for s, a in zip(wanted, given))

        if fits(shape, sample):
            return array
        if len(shape) == len(sample) + 1 and shape[-1] == 1 and fits(shape[:-1], sample):
            return array[..., None]  # labels (n,) for an output (n, 1); images without a channel axis
        if reshape and None not in shape and math.prod(sample) == math.prod(d for d in shape if d is not None):
            return array.reshape((len(array), *shape))
        if not reshape and len(shape) == 1 and len(sample) == 0:
            return array  # class ids for a softmax output
        ids_shaped = not reshape and bool(shape) and (fits(shape[:-1], sample) or (sample[-1:] == (1,) and fits(shape[:-1], sample[:-1])))
        if ids_shaped and loss_kind(self.signature.losses.get(name)) == "sparse":
            return array
        hint = " (class ids need a sparse loss such as sparse_categorical_crossentropy)" if ids_shaped else ""
        raise FeedError(path, f"array of shape {array.shape} does not fit {name!r}, which takes (samples, {', '.join('None' if s is None else str(s) for s in shape)}){hint}")

    def stream(self, raw: Any, source: Any, path: KeyPath) -> Feed:
        """A tf.data.Dataset, PyDataset or generator, used as Keras would use it."""
        if isinstance(raw, tf.data.Dataset) and isinstance(source, ImagesSource):
            raw = raw.take(source.take) if source.take else raw
        return Feed(raw)


def split_off(feed: Feed, fraction: float) -> tuple[Feed, Feed]:
    """Hold out the last `fraction` of a feed, before any shuffling (as Keras does for arrays)."""
    if feed.is_stream:
        return split_stream(feed, fraction)
    assert feed.samples is not None
    at = int(math.floor(feed.samples * (1.0 - fraction)))

    def cut(part: Any, sl: slice) -> Any:
        if part is None:
            return None
        if isinstance(part, dict):
            return {k: v[sl] for k, v in part.items()}
        return part[sl]

    head = Feed(cut(feed.x, slice(None, at)), cut(feed.y, slice(None, at)), cut(feed.sample_weight, slice(None, at)), at)
    tail = Feed(cut(feed.x, slice(at, None)), cut(feed.y, slice(at, None)), cut(feed.sample_weight, slice(at, None)), feed.samples - at)
    return head, tail


def split_stream(feed: Feed, fraction: float) -> tuple[Feed, Feed]:
    """Datasets split by element (counted when their length is unknown); PyDatasets by batch."""
    stream = feed.x
    if isinstance(stream, tf.data.Dataset):
        count = int(stream.cardinality())
        if count < 0:
            count = sum(1 for _ in stream)
        at = int(math.floor(count * (1.0 - fraction)))
        return replace(feed, x=stream.take(at)), replace(feed, x=stream.skip(at))
    if isinstance(stream, keras.utils.PyDataset):
        at = int(math.floor(len(stream) * (1.0 - fraction)))
        return replace(feed, x=BatchRange(stream, 0, at)), replace(feed, x=BatchRange(stream, at, len(stream)))
    raise FeedError((), "validation_split needs data whose length is known (arrays, a tf.data.Dataset or a PyDataset), not a generator: give data.validation")


class BatchRange(keras.utils.PyDataset):
    """Batches `start` to `stop` of another PyDataset: a PyDataset's validation_split."""

    def __init__(self, inner: Any, start: int, stop: int) -> None:
        super().__init__(workers=inner.workers, use_multiprocessing=inner.use_multiprocessing, max_queue_size=inner.max_queue_size)
        self.inner, self.start, self.stop = inner, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: int) -> Any:
        return self.inner[self.start + index]


def pipeline(feed: Feed, source: Any, batch_size: int, shuffle: bool, seed: int | None) -> Feed:
    """Batch an unbatched stream (images), or arrays that ask for `cache`/`shuffle_buffer`:
    cache, shuffle, batch, prefetch. Other arrays go to Keras, whose array pipeline shuffles
    every sample each epoch; other streams are used as given (they batch themselves).
    """
    unbatched_images = isinstance(feed.x, tf.data.Dataset) and isinstance(source, ImagesSource)
    wants_pipeline = not feed.is_stream and (source.cache or source.shuffle_buffer)
    if not (unbatched_images or wants_pipeline):
        return feed
    if unbatched_images:
        dataset = feed.x
    else:
        parts = tuple(p for p in (feed.x, feed.y, feed.sample_weight) if p is not None)
        dataset = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    if source.cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(source.shuffle_buffer or 1024, seed=seed, reshuffle_each_iteration=True)
    return Feed(dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE))
