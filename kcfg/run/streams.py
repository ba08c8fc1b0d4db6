"""Sources read as they train (CSV, Parquet, TFRecord, TFDS): rows in order, sliced by row, batched as fit asks.

A `RowStream` stands for rows [start, stop) of one source; `take` and `validation_split`
slice it by row before any shuffling (as Keras holds out the last fraction of arrays),
so neither reads the file. `batched` turns it into what fit takes: blocks of rows,
`cache`, a `shuffle_buffer` of samples, batches of `batch_size` (parsed and mapped in
parallel, prefetched), the source's `preprocess` function, and the number of batches
when the row count is known, so Keras shows the epoch's length and data_parallel knows
its steps without reading the file.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import tensorflow as tf

from kcfg.run.mapping import FeedError

#: Samples held for shuffling a stream when the source gives no shuffle_buffer.
DEFAULT_SHUFFLE_BUFFER = 1024


@dataclass
class Faults:
    """The located error that stopped a stream's reader: TensorFlow passes on only its text."""

    error: FeedError | None = None


@dataclass(frozen=True)
class RowStream:
    """Rows [start, stop) of a source, read by `blocks(start, stop)` as a dataset of batched elements.

    `known_rows` is the source's row count when it costs nothing (Parquet metadata, TFDS
    split info); `count_rows` reads the source to count them (CSV, TFRecord).
    """

    blocks: Callable[[int, int | None], tf.data.Dataset]
    count_rows: Callable[[], int]
    known_rows: int | None = None
    #: Sources whose records are cheaper to shuffle before they are parsed (TFRecord, TFDS):
    #: `batches(start, stop, batch_size, shuffle_buffer or None, seed)` gives the final batches.
    batches: Callable[[int, int | None, int, int | None, int | None], tf.data.Dataset] | None = None
    start: int = 0
    stop: int | None = None
    faults: Faults = field(default_factory=Faults)

    def rows(self) -> int | None:
        """Rows of this slice, when the source's count is known."""
        if self.known_rows is None:
            return None
        end = self.known_rows if self.stop is None else min(self.known_rows, self.stop)
        return max(0, end - self.start)

    def counted(self) -> RowStream:
        """This slice with its source's rows known, counted when they were not."""
        return self if self.known_rows is not None else replace(self, known_rows=self.count_rows())

    def head(self, rows: int) -> RowStream:
        """The first `rows` rows (`take`)."""
        stop = self.start + rows if self.stop is None else min(self.stop, self.start + rows)
        return replace(self, stop=stop)

    def split(self, fraction: float) -> tuple[RowStream, RowStream]:
        """The first rows and the last `fraction` of them (the rows counted when not known)."""
        whole = self.counted()
        total = whole.rows() or 0
        at = self.start + int(math.floor(total * (1.0 - fraction)))
        return replace(whole, stop=at), replace(whole, start=at, stop=self.start + total)

    def dataset(self) -> tf.data.Dataset:
        return self.blocks(self.start, self.stop)


def batched(stream: RowStream, source: Any, batch_size: int, shuffle: bool, seed: int | None, preprocess: Callable[..., Any] | None = None) -> tuple[tf.data.Dataset, int | None]:
    """Batches of `batch_size` for fit, evaluate or predict, and how many there are when the rows are known."""
    buffer = source.shuffle_buffer or DEFAULT_SHUFFLE_BUFFER
    if stream.batches is not None and not source.cache:
        dataset = stream.batches(stream.start, stream.stop, batch_size, buffer if shuffle else None, seed)
    else:
        dataset = stream.dataset()
        if source.cache:
            dataset = dataset.cache()
        if shuffle:
            dataset = dataset.unbatch().shuffle(buffer, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
        else:
            dataset = dataset.rebatch(batch_size)
    if preprocess is not None:
        dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    rows = stream.rows()
    steps = None if rows is None else math.ceil(rows / batch_size)
    if steps is not None:
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps))
    return dataset.prefetch(tf.data.AUTOTUNE), rows


@contextmanager
def streaming(*faults: Faults | None) -> Iterator[None]:
    """Around fit/evaluate/predict on streams: a stream stopped by a bad cell raises that cell's located error.

    A stream whose length is unknown (a CSV not counted) ends the first epoch when the file
    ends; Keras warns then that the input "ran out of data", which here is no fault.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)
            yield
    except Exception as exc:
        for fault in faults:
            if fault is not None and fault.error is not None:
                error, fault.error = fault.error, None
                raise error from exc
        raise
