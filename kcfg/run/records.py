"""TFRecord files of `tf.train.Example`s and prepared TensorFlow Datasets, as row streams of mapped batches.

TFRecord shards are read in parallel and interleaved in a fixed order (so `take` and
`validation_split` are the same rows every time), batched, and parsed by
`tf.io.parse_example` on several threads; the first record is parsed when the feed is
made, so a `features:` spec that does not match the file is an error before training.
TFDS reads a builder already prepared in `data_dir`: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import TfdsSource, TFRecordSource
from kcfg.run.sources import SourceError
from kcfg.run.streams import RowStream
from kcfg.run.tables import shard_files
from kcfg.run.tensor_mapping import TensorMapping

#: Records parsed (and mapped) at once.
RECORD_BLOCK = 1024
_DTYPES = {"float32": tf.float32, "int64": tf.int64, "string": tf.string}


def tfrecord_stream(source: TFRecordSource, base: Path, mapping: TensorMapping, path: KeyPath, with_targets: bool) -> RowStream:
    files = [str(f) for f in shard_files(source.path, base, "")]
    spec = {name: tf.io.FixedLenFeature(feature.shape, _DTYPES[feature.dtype]) for name, feature in source.features.items()}

    def records() -> tf.data.Dataset:
        return tf.data.TFRecordDataset(files, compression_type=source.compression or "", num_parallel_reads=tf.data.AUTOTUNE if len(files) > 1 else None)

    first = next(iter(records().take(1)), None)
    if first is None:
        raise SourceError("path", f"{files[0] if len(files) == 1 else source.path} holds no records")
    try:
        tf.io.parse_example(tf.reshape(first, [1]), spec)
    except (tf.errors.InvalidArgumentError, ValueError) as exc:
        raise SourceError("features", f"the first record of {files[0]} does not match features: {' '.join(str(exc).split())[:300]}") from exc

    def parse(serialized: tf.Tensor) -> object:
        return mapping.element(tf.io.parse_example(serialized, spec), source, path, with_targets)

    def batches(start: int, stop: int | None, size: int, buffer: int | None, seed: int | None) -> tf.data.Dataset:
        return shuffled(sliced(records(), start, stop), buffer, seed).batch(size).map(parse, num_parallel_calls=tf.data.AUTOTUNE)

    def count() -> int:
        return int(records().reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))

    return RowStream(lambda start, stop: batches(start, stop, RECORD_BLOCK, None, None), count, batches=batches)


def sliced(dataset: tf.data.Dataset, start: int, stop: int | None) -> tf.data.Dataset:
    dataset = dataset.skip(start) if start else dataset
    return dataset.take(stop - start) if stop is not None else dataset


def shuffled(dataset: tf.data.Dataset, buffer: int | None, seed: int | None) -> tf.data.Dataset:
    """Records shuffled before they are parsed: a serialized record is cheaper to hold and move than its tensors."""
    return dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True) if buffer else dataset


def tfds_stream(source: TfdsSource, base: Path, mapping: TensorMapping, path: KeyPath, with_targets: bool) -> RowStream:
    """A prepared builder's split; without a mapping, its supervised keys are the input and the target."""
    import tensorflow_datasets as tfds

    data_dir = str(base / source.data_dir) if source.data_dir else None
    try:
        builder = tfds.builder(source.name, data_dir=data_dir)
        prepared = builder.is_prepared()
    except Exception as exc:  # tfds raises its own kinds for unknown names, versions and folders
        reason = " ".join(str(exc).split()).split(" Available datasets:")[0]
        raise SourceError("name", f"no TensorFlow Datasets builder {source.name!r}{' in ' + data_dir if data_dir else ''}: {reason[:300]}") from exc
    if not prepared:
        raise SourceError("name", f"{source.name!r} is not prepared in {builder.data_dir}: prepare it first (tfds build {source.name} --data_dir DIR); kcfg downloads nothing")
    try:
        rows = builder.info.splits[source.split].num_examples
    except (KeyError, ValueError) as exc:
        raise SourceError("split", f"{source.name!r} has no split {source.split!r} (splits: {', '.join(builder.info.splits)})") from exc
    supervised = builder.info.supervised_keys
    if supervised and len(supervised) == 2 and all(isinstance(k, str) for k in supervised):
        counts = {"x": len(mapping.signature.inputs), "y": len(mapping.signature.outputs)}
        defaults = {key: value for key, value in zip(("x", "y"), supervised) if getattr(source, key) is None and counts[key] == 1}
        source = source.model_copy(update=defaults)

    def batches(start: int, stop: int | None, size: int, buffer: int | None, seed: int | None) -> tf.data.Dataset:
        elements = shuffled(sliced(builder.as_dataset(split=source.split, shuffle_files=False), start, stop), buffer, seed)
        return elements.batch(size).map(lambda features: mapping.element(features, source, path, with_targets), num_parallel_calls=tf.data.AUTOTUNE)

    return RowStream(lambda start, stop: batches(start, stop, RECORD_BLOCK, None, None), lambda: rows, known_rows=rows, batches=batches)
