"""Feeds for data_parallel: every process builds the same global batches, and Keras gives each its slice.

Keras's `DataParallel` splits a `tf.data.Dataset` batched with the GLOBAL batch (`rebatch` to
batch / processes, then `shard`); numpy arrays it cannot split across processes. Every
process must then run the same number of full steps: a last, smaller batch leaves one
process waiting in a collective the others never join (a deadlock). So batches are full
(`drop_remainder`), the dataset repeats, and the steps per epoch are counted here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.run.feeding import Feed, FeedError, pipeline
from kcfg.run.streams import RowStream


def global_batches(feed: Feed, source: Any, batch_size: int, shuffle: bool, seed: int | None, path: KeyPath, steps: int | None, preprocess: Callable[..., Any] | None = None) -> Feed:
    """Full global batches, repeated; `steps` (fit.steps_per_epoch) or the count of full batches per epoch."""
    if isinstance(feed.x, RowStream) and steps is None:
        feed = replace(feed, x=feed.x.counted())  # counting rows reads less than counting mapped batches
    feed = pipeline(feed, source, batch_size, shuffle, seed, preprocess)  # file streams, images and cached arrays: batched here
    if feed.is_stream:
        if not isinstance(feed.x, tf.data.Dataset):
            raise FeedError(path, f"data_parallel feeds arrays or a tf.data.Dataset (Keras splits only those among processes), not a {type(feed.x).__name__}")
        dataset = feed.x.rebatch(batch_size, drop_remainder=True)
    else:
        parts = tuple(p for p in (feed.x, feed.y, feed.sample_weight) if p is not None)
        dataset = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
        if shuffle:  # every sample, every epoch, as Keras shuffles arrays; one seed, so every process agrees
            dataset = dataset.shuffle(feed.samples or 1, seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size, drop_remainder=True)
    if steps is None:
        steps = feed.rows // batch_size if feed.rows is not None else full_batches(dataset, path)
        if steps == 0:
            raise FeedError(path, f"fewer samples than one global batch ({batch_size}): data_parallel trains on full batches only")
    return Feed(dataset.repeat().prefetch(tf.data.AUTOTUNE), steps=steps, faults=feed.faults)


def full_batches(dataset: Any, path: KeyPath) -> int:
    count = int(dataset.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        raise FeedError(path, "this dataset never ends: give fit.steps_per_epoch (and fit.validation_steps)")
    if count < 0:  # unknown: count once
        count = int(dataset.reduce(tf.constant(0, tf.int64), lambda n, *_: n + 1))
    return count
