"""A table source (CSV, Parquet) as a row stream: each block of rows mapped to the model by the array rules.

The first block is read when the feed is made: it fixes the element types (so a later
block cannot change them), and a mapping, shape or label problem shows before training.
Only the columns the mapping reads are parsed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.run.array_mapping import ArrayMapping, Arrays, Parts, target_columns, with_default_x
from kcfg.run.mapping import FeedError, as_mapping, mapped_columns
from kcfg.run.sources import SourceError
from kcfg.run.streams import Faults, RowStream
from kcfg.run.tables import Table
from kcfg.run.tensor_mapping import element


def read_columns(table: Table, source: Any, mapping: ArrayMapping, with_targets: bool) -> list[str]:
    """The columns the mapping (or its defaults) can read, in file order."""
    sig = mapping.signature
    source = with_default_x(source, table.names, sig)
    wanted = set(mapped_columns(source.x) + mapped_columns(source.sample_weight) + (mapped_columns(source.y) if with_targets else []))
    wanted |= {*sig.inputs, "x"} if source.x is None else set()
    wanted |= {*sig.outputs, "y"} if source.y is None and with_targets else set()
    return [name for name in table.names if name in wanted] or table.names[:1]


def text_columns(table: Table, source: Any, mapping: ArrayMapping, strings: set[str]) -> set[str]:
    """Columns read as text whatever they hold: those of string inputs, and targets given `labels`."""
    source = with_default_x(source, table.names, mapping.signature)
    given = as_mapping(source.x, list(mapping.signature.inputs)) or {}
    text = {c for name in strings for c in mapped_columns(given.get(name, name))}
    return text | (set(target_columns(source, table.names, mapping.signature)) if source.labels is not None else set())


def table_stream(table: Table, source: Any, mapping: ArrayMapping, path: KeyPath, with_targets: bool) -> RowStream:
    """Rows of the table as batched `(x, y[, sample_weight])` elements, typed by its first block."""
    columns = read_columns(table, source, mapping, with_targets)
    strings = {name for name, dtype in mapping.signature.dtypes.items() if dtype == "string"}
    text = text_columns(table, source, mapping, strings)
    table.expect(set(columns) - text, text)

    def mapped(block: Arrays) -> Parts:
        x, y, weights = mapping.parts(block, source, path, with_targets)
        return {name: a.astype(str).astype(object) if name in strings and a.dtype != object else a for name, a in (x or {}).items()}, y, weights

    first = next(table.blocks(columns, 0, None), None)
    if first is None or not len(next(iter(first.values()))):
        files = ", ".join(map(str, table.files[:3])) + (" ..." if len(table.files) > 3 else "")
        raise FeedError(path, f"the data has no samples: {files} {'holds' if len(table.files) == 1 else 'hold'} no rows")
    signature = tf.nest.map_structure(spec_of, element(*mapped(first)))
    faults = Faults()

    def generate(start: int, stop: int | None, buffer: int | None = None, seed: int | None = None) -> Iterator[Any]:
        try:
            elements = (element(*mapped(block)) for block in table.blocks(columns, start, stop))
            yield from elements if buffer is None else shuffled(elements, buffer, np.random.default_rng(None if seed is None else [seed, next(epochs)]))
        except SourceError as exc:
            faults.error = FeedError(path + (exc.key,), str(exc))
            raise
        except FeedError as exc:
            faults.error = exc
            raise

    epochs = itertools.count()  # each epoch's shuffle differs, and repeats with the seed

    def blocks(start: int, stop: int | None) -> tf.data.Dataset:
        return tf.data.Dataset.from_generator(lambda: generate(start, stop), output_signature=signature)

    def batches(start: int, stop: int | None, size: int, buffer: int | None, seed: int | None) -> tf.data.Dataset:
        return tf.data.Dataset.from_generator(lambda: generate(start, stop, buffer, seed), output_signature=signature).rebatch(size)

    return RowStream(blocks, table.count, known_rows=table.known_rows(), faults=faults, batches=batches)


def shuffled(elements: Iterator[Any], buffer: int, rng: np.random.Generator) -> Iterator[Any]:
    """Blocks of rows shuffled through a pool of `buffer` rows, as `Dataset.shuffle(buffer)` does row by row.

    Each block joins the pool, the pool is permuted, and as many rows as came in leave it;
    NumPy does per block what tf.data's shuffle does per row, without a tf.data element per row.
    """
    pool: list[np.ndarray] | None = None
    structure = None
    for block in elements:
        structure, flat = block, tf.nest.flatten(block)
        pool = flat if pool is None else [np.concatenate([kept, new]) for kept, new in zip(pool, flat)]
        order = rng.permutation(len(pool[0]))
        leaving = max(0, len(order) - buffer)
        if leaving:
            yield tf.nest.pack_sequence_as(structure, [a[order[:leaving]] for a in pool])
        pool = [a[order[leaving:]] for a in pool]
    if pool is not None and len(pool[0]):
        order = rng.permutation(len(pool[0]))
        yield tf.nest.pack_sequence_as(structure, [a[order] for a in pool])


def spec_of(array: np.ndarray) -> tf.TensorSpec:
    return tf.TensorSpec((None, *array.shape[1:]), tf.string if array.dtype == object else tf.as_dtype(array.dtype))
