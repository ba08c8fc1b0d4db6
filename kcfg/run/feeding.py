"""Data sources -> what `Model.fit` takes, checked against the model before training starts.

Arrays (npz, npy, keras, synthetic, python returning arrays) are mapped to the model's
inputs and outputs by `array_mapping.py`; files that stream (CSV, Parquet, TFRecord,
TFDS) become `RowStream`s whose blocks the same rules map (`table_stream.py`,
`records.py`); other python results and image folders are used as Keras would use them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import CsvSource, ImagesSource, KerasSource, NpzSource, ParquetSource, PythonSource, SyntheticSource, TfdsSource, TFRecordSource
from kcfg.run.array_mapping import ArrayMapping, class_ids
from kcfg.run.mapping import FeedError, ModelSignature, as_tensors, unwrap
from kcfg.run.sources import Arrays, SourceError, call_python, plugin_function, read_images, read_keras, read_npz
from kcfg.run.streams import DEFAULT_SHUFFLE_BUFFER, Faults, RowStream, batched
from kcfg.run.synthetic import synthetic_arrays

__all__ = ["Feed", "FeedError", "Feeder", "ModelSignature", "class_ids", "pipeline", "split_off"]


@dataclass
class Feed:
    """Arguments for fit/evaluate/predict: arrays (`x`, `y`, `sample_weight`) or one stream in `x`."""

    x: Any
    y: Any = None
    sample_weight: Any = None
    samples: int | None = None  # None for streams
    steps: int | None = None  # batches in one epoch of a repeated stream (data_parallel)
    rows: int | None = None  # samples of a batched stream, when known
    faults: Faults | None = None  # where a file stream leaves the located error that stopped it

    @property
    def is_stream(self) -> bool:
        return self.samples is None

    def keras_arguments(self, batch_size: int) -> dict[str, Any]:
        """`x`, `y`, `sample_weight` for fit/evaluate, and `batch_size` for arrays (streams batch themselves)."""
        arguments = {"x": self.x, "y": self.y, "sample_weight": self.sample_weight}
        return arguments if self.is_stream else {**arguments, "batch_size": batch_size}


class Feeder:
    """Reads one data section (`data.train`, ...) and shapes it for one model."""

    def __init__(self, signature: ModelSignature, base: Path, seed: int | None, model: Any = None, *, safe: bool = False) -> None:
        self.signature = signature
        self.base = base
        self.seed = seed
        self.model = model
        self.safe = safe
        self.mapping = ArrayMapping(signature)

    def feed(self, source: Any, path: KeyPath, *, with_targets: bool = True) -> Feed:
        try:
            raw = self.read(source, path, with_targets)
        except SourceError as exc:
            raise FeedError(path + (exc.key,), str(exc)) from exc
        except MemoryError as exc:
            raise FeedError(path, f"the data does not fit in this machine's memory ({exc}); use fewer samples (take:)") from exc
        if isinstance(raw, RowStream):
            return Feed(raw.head(source.take) if source.take else raw, faults=raw.faults)
        if not isinstance(raw, dict):
            return self.stream(raw, source, path)
        arrays = {key: value[: source.take] if source.take else value for key, value in raw.items()}
        return self.arrays_feed(arrays, source, path, with_targets)

    def read(self, source: Any, path: KeyPath, with_targets: bool) -> Any:
        if isinstance(source, SyntheticSource):
            return synthetic_arrays(self.model, self.signature.losses, source.samples, source.seed if source.seed is not None else self.seed)
        if isinstance(source, NpzSource):
            return read_npz(source, self.base)
        if self.safe and isinstance(source, (CsvSource, ParquetSource, TFRecordSource)):
            from kcfg.run.tables import confined

            confined(source.path, self.base)
        if isinstance(source, (CsvSource, ParquetSource)):
            from kcfg.run.table_stream import table_stream
            from kcfg.run.tables import open_table

            return table_stream(open_table(source, self.base), source, self.mapping, path, with_targets)
        if isinstance(source, (TFRecordSource, TfdsSource)):
            from kcfg.run.records import tfds_stream, tfrecord_stream
            from kcfg.run.tensor_mapping import TensorMapping

            stream = tfrecord_stream if isinstance(source, TFRecordSource) else tfds_stream
            return stream(source, self.base, TensorMapping(self.signature), path, with_targets)  # type: ignore[arg-type]
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
        x, y, weights = self.mapping.parts(arrays, source, path, with_targets)
        counts = {len(a) for part in (x, y, weights) if part is not None for a in part.values()}
        if counts == {0}:
            raise FeedError(path, "the data has no samples")
        strings = {name for name, dtype in self.signature.dtypes.items() if dtype == "string"}
        return Feed(unwrap(as_tensors(x, strings)), unwrap(y), unwrap(weights), samples=counts.pop() if counts else 0)

    def stream(self, raw: Any, source: Any, path: KeyPath) -> Feed:
        """A tf.data.Dataset, PyDataset or generator, used as Keras would use it."""
        if isinstance(raw, tf.data.Dataset) and isinstance(source, ImagesSource):
            raw = raw.take(source.take) if source.take else raw
        return Feed(raw)

    def preprocess(self, source: Any, path: KeyPath) -> Callable[..., Any] | None:
        """The source's `preprocess` function, imported (never under --safe: validation refuses it first)."""
        if getattr(source, "preprocess", None) is None:
            return None
        try:
            return plugin_function(source.preprocess, self.base, "preprocess")
        except SourceError as exc:
            raise FeedError(path + (exc.key,), str(exc)) from exc


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
    """File streams split by row, datasets by element (counted when their length is unknown), PyDatasets by batch."""
    stream = feed.x
    if isinstance(stream, RowStream):
        head, tail = stream.split(fraction)
        return replace(feed, x=head), replace(feed, x=tail)
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


def pipeline(feed: Feed, source: Any, batch_size: int, shuffle: bool, seed: int | None, preprocess: Callable[..., Any] | None = None) -> Feed:
    """Batch a file stream, an unbatched stream (images), or arrays that ask for `cache`/`shuffle_buffer`/`preprocess`:
    cache, shuffle, batch, preprocess, prefetch. Other arrays go to Keras, whose array pipeline
    shuffles every sample each epoch; other streams are used as given (they batch themselves).
    """
    if isinstance(feed.x, RowStream):
        dataset, rows = batched(feed.x, source, batch_size, shuffle, seed, preprocess)
        return Feed(dataset, rows=rows, faults=feed.faults)
    unbatched_images = isinstance(feed.x, tf.data.Dataset) and isinstance(source, ImagesSource)
    wants_pipeline = not feed.is_stream and (source.cache or source.shuffle_buffer or preprocess is not None)
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
        dataset = dataset.shuffle(source.shuffle_buffer or DEFAULT_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if preprocess is not None:
        dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return Feed(dataset.prefetch(tf.data.AUTOTUNE), rows=feed.samples)
