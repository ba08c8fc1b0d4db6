"""Table files (CSV, Parquet) read in blocks of rows with pyarrow: memory holds a block, never the file.

pyarrow's streaming CSV reader parses a block on several threads in C++ (about 10x
`tf.data.experimental.CsvDataset` here, bench/data_scale.py); Parquet is read by record
batch, skipping whole files and row groups outside the rows asked for. Columns take the
type the first block shows (or `dtypes:`): whole numbers int64, other numbers float32,
anything else text. A cell that does not fit its column's type stops the stream with
the file, line (or row) and column; `csv_faults.py` finds CSV cells again.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from kcfg.recipe.safety import REFUSED
from kcfg.recipe.schema import CsvSource, ParquetSource
from kcfg.run.csv_faults import locate_csv_fault
from kcfg.run.sources import SourceError, readable

Block = dict[str, np.ndarray]
#: Bytes of CSV text parsed at once. pyarrow reads a fixed number of blocks ahead, so memory follows this
#: size (8 MiB blocks held 280 MB more than 1 MiB ones over a 300 MB file); a longer row is read again in larger blocks.
CSV_BLOCK = 1 << 20
#: The largest block a row may need.
CSV_BLOCK_LIMIT = 256 << 20
#: Rows of a Parquet record batch.
PARQUET_BATCH = 65_536
#: A cell that reads as a number.
NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
ARROW_TYPES = {"float32": pa.float32(), "float64": pa.float64(), "int32": pa.int32(), "int64": pa.int64(), "string": pa.string()}


def shard_files(pattern: str, base: Path, suffix: str) -> list[Path]:
    """The files of `path`: one file, every `*{suffix}` file of a folder, or a glob's matches, in name order."""
    path = base / pattern
    if glob.has_magic(pattern):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if not Path(p).is_dir())
        if not files:
            raise SourceError("path", f"no files match {path}")
        return [readable(f) for f in files]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.name.endswith(suffix))
        if not files:
            raise SourceError("path", f"{path} holds no {suffix} files")
        return [readable(f) for f in files]
    return [readable(path)]


def grown(exc: BaseException, block: int) -> int:
    """The larger block to read again with when a row did not fit in `block`; 0 for any other error."""
    return block * 8 if "straddl" in str(exc) and block < CSV_BLOCK_LIMIT else 0


def confined(pattern: str, base: Path) -> None:
    """Under --safe: every file of `path` must lie in the recipe's folder, links resolved (a glob may match a link out)."""
    for file in shard_files(pattern, base, ""):
        if not file.resolve().is_relative_to(base.resolve()):
            raise SourceError("path", f"{REFUSED}: {file} lies outside the recipe's folder ({base})")


def arrow_kind(kind: pa.DataType) -> str:
    """The type a column of this arrow type is read as."""
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return "int64"
    if pa.types.is_floating(kind):
        return "float32"
    if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_large_list(kind):
        return arrow_kind(kind.value_type)
    return "string"


class Table:
    """Sharded table files: their columns, the type each is read as, and blocks of rows as NumPy arrays."""

    def __init__(self, source: Any, files: list[Path], names: list[str], kinds: dict[str, str]) -> None:
        self.source = source
        self.files = files
        self.names = names
        declared = source.dtypes or {}
        self.kinds = {name: declared.get(name, kinds[name]) for name in names}

    def expect(self, numbers: set[str], text: set[str]) -> None:
        """Read `text` columns as text (string inputs, class names for `labels`), and `numbers` (they feed numeric inputs
        or targets) as numbers where their first rows mix numbers and text; declared types stay."""
        declared = self.source.dtypes or {}
        for name in text - set(declared):
            self.kinds[name] = "string"
        for name in (numbers & getattr(self, "mixed", set())) - set(declared):
            self.kinds[name] = "float32"

    def batches(self, file: Path, columns: list[str], skip: int) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(first row in the file, record batch) from row `skip` of one file on (earlier whole batches may be skipped unread)."""
        raise NotImplementedError

    def file_rows(self, file: Path) -> int:
        raise NotImplementedError

    def known_rows(self) -> int | None:
        """The row count when it costs nothing to know (Parquet's metadata)."""
        return None

    def count(self) -> int:
        return sum(self.file_rows(f) for f in self.files)

    def fault(self, file: Path, row: int, column: str, problem: str) -> SourceError:
        raise NotImplementedError

    def blocks(self, columns: list[str], start: int = 0, stop: int | None = None) -> Iterator[Block]:
        """Rows [start, stop) of the shards, in order, as blocks of `{column: array}`."""
        offset = 0
        for file in self.files:
            if stop is not None and offset >= stop:
                return
            skip = max(0, start - offset)
            if skip and isinstance(self, ParquetTable) and skip >= self.file_rows(file):
                offset += self.file_rows(file)
                continue
            last = 0
            for first, batch in self.batches(file, columns, skip):
                at, last = offset + first, first + batch.num_rows
                low, high = max(start - at, 0), batch.num_rows if stop is None else min(stop - at, batch.num_rows)
                if high <= low:
                    if stop is not None and at >= stop:
                        return
                    continue
                part = batch.slice(low, high - low)
                yield {name: self.values(part.column(name), file, first + low, name) for name in columns}
            offset += last if last else self.file_rows(file)

    def values(self, column: pa.Array, file: Path, first: int, name: str) -> np.ndarray:
        """One column of a block as the NumPy array its type gives; an empty cell is a fault."""
        if column.null_count:
            index = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise self.fault(file, first + index, name, "empty cell")
        kind = self.kinds[name]
        if pa.types.is_list(column.type) or pa.types.is_fixed_size_list(column.type) or pa.types.is_large_list(column.type):
            flat = column.flatten().to_numpy(zero_copy_only=False)
            if len(column) and len(flat) % len(column) == 0 and len(set(column.value_lengths().to_numpy())) <= 1:
                return flat.reshape(len(column), -1).astype(kind)
            raise self.fault(file, first, name, "lists of different lengths (a model input takes one shape)")
        if kind == "string":
            return column.to_numpy(zero_copy_only=False).astype(object)
        return column.to_numpy(zero_copy_only=False).astype(kind, copy=False)


class CsvTable(Table):
    """CSV shards: one header each (or none: `columns`, else column indices), one-character delimiter."""

    def __init__(self, source: CsvSource, base: Path) -> None:
        files = shard_files(source.path, base, ".csv")
        self.source = source  # before the first read: its faults are located with the source's options
        self.read_options = {"encoding": source.encoding}
        self.parse_options = pa_csv.ParseOptions(delimiter=source.delimiter, newlines_in_values=True)
        first = self.first_block(source, files)
        names = list(first.schema.names)
        super().__init__(source, files, names, {name: arrow_kind(t) for name, t in zip(names, first.schema.types)})
        #: Text columns of the first block that hold numbers too: numbers with a bad cell, when a model input or target reads them.
        self.mixed = {name for name in names if self.kinds[name] == "string" and pc.any(pc.match_substring_regex(first.column(name).cast(pa.string()), NUMBER)).as_py()}

    def first_block(self, source: CsvSource, files: list[Path]) -> pa.RecordBatch:
        """The first block of the first file: it names the columns and shows their types."""
        file, block = files[0], CSV_BLOCK
        while True:
            read = {**self.read_options, "block_size": block}
            try:
                options = pa_csv.ReadOptions(**read)
                if not source.header:
                    width = len(pa_csv.open_csv(file, pa_csv.ReadOptions(autogenerate_column_names=True, **read), self.parse_options).schema.names)
                    names = source.columns or [str(i) for i in range(width)]
                    if len(names) != width:
                        raise SourceError("columns", f"columns names {len(names)} columns, but {file} has {width}")
                    options = pa_csv.ReadOptions(column_names=names, **read)
                reader = pa_csv.open_csv(file, options, self.parse_options, self.convert_options({}))
                return next(iter(reader), None) or pa.RecordBatch.from_pylist([], schema=reader.schema)
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                block = grown(exc, block)
                if block:
                    continue
                if "Empty CSV file" in str(exc):
                    raise SourceError("path", f"{file} is empty") from exc
                raise self.located(file, exc, {}) from exc

    @staticmethod
    def convert_options(types: dict[str, pa.DataType], columns: list[str] | None = None) -> pa_csv.ConvertOptions:
        # only an empty cell is missing: "NA" or "nan" are what they say (text, or a float NaN)
        return pa_csv.ConvertOptions(column_types=types, include_columns=columns or [], null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False)

    def open(self, file: Path, columns: list[str], block: int) -> Any:
        options = {**self.read_options, "block_size": block}
        read = pa_csv.ReadOptions(**options) if self.source.header else pa_csv.ReadOptions(column_names=self.names, **options)
        return pa_csv.open_csv(file, read, self.parse_options, self.convert_options({c: ARROW_TYPES[self.kinds[c]] for c in columns}, columns))

    def batches(self, file: Path, columns: list[str], skip: int) -> Iterator[tuple[int, pa.RecordBatch]]:
        first, block = 0, CSV_BLOCK
        while True:
            try:
                done = first  # rows already given, when a long row makes the file start again in larger blocks
                for batch in self.open(file, columns, block):
                    if done >= batch.num_rows:
                        done -= batch.num_rows
                        continue
                    yield first, batch.slice(done)
                    first, done = first + batch.num_rows - done, 0
                return
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                block = grown(exc, block)
                if block:
                    continue
                if "include_columns" in str(exc):
                    raise SourceError("path", f"{file} lacks a column {self.files[0]} has: {exc}") from exc
                raise self.located(file, exc, {c: self.kinds[c] for c in columns}) from exc

    def file_rows(self, file: Path) -> int:
        return sum(batch.num_rows for _, batch in self.batches(file, self.names[:1], 0))

    def located(self, file: Path, exc: BaseException, kinds: dict[str, str]) -> SourceError:
        """pyarrow's error (which names no row) as the first row Python's csv module finds at fault."""
        found = locate_csv_fault(file, self.source, getattr(self, "names", None), kinds)
        return SourceError("path", found or f"{file}: {' '.join(str(exc).split())[:300]}")

    def fault(self, file: Path, row: int, column: str, problem: str) -> SourceError:
        found = locate_csv_fault(file, self.source, self.names, {column: self.kinds[column]}, record=row)
        return SourceError("path", found or f"{file}, row {row + 1}, column {column!r}: {problem}")


class ParquetTable(Table):
    """Parquet files: types from their schema, row counts from their metadata."""

    def __init__(self, source: ParquetSource, base: Path) -> None:
        files = shard_files(source.path, base, ".parquet")
        try:
            schema = pq.ParquetFile(files[0]).schema_arrow
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError("path", f"{files[0]} is not a readable Parquet file: {' '.join(str(exc).split())[:200]}") from exc
        self.metadata: dict[Path, Any] = {}
        super().__init__(source, files, list(schema.names), {name: arrow_kind(schema.field(name).type) for name in schema.names})

    def parquet(self, file: Path) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(file)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError("path", f"{file} is not a readable Parquet file: {' '.join(str(exc).split())[:200]}") from exc

    def file_rows(self, file: Path) -> int:
        if file not in self.metadata:
            self.metadata[file] = self.parquet(file).metadata
        return int(self.metadata[file].num_rows)

    def known_rows(self) -> int | None:
        return self.count()

    def batches(self, file: Path, columns: list[str], skip: int) -> Iterator[tuple[int, pa.RecordBatch]]:
        handle = self.parquet(file)
        missing = [c for c in columns if c not in handle.schema_arrow.names]
        if missing:
            raise SourceError("path", f"{file} has no column {missing[0]!r}")
        groups: list[int] = []
        first = 0
        for i in range(handle.num_row_groups):  # row groups wholly before `skip` are not read
            rows = handle.metadata.row_group(i).num_rows
            if first + rows > skip or groups:
                groups.append(i)
            else:
                first += rows
        try:
            for batch in handle.iter_batches(batch_size=PARQUET_BATCH, row_groups=groups, columns=columns):
                yield first, batch
                first += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError("path", f"{file} could not be read past row {first + 1}: {' '.join(str(exc).split())[:200]}") from exc

    def fault(self, file: Path, row: int, column: str, problem: str) -> SourceError:
        return SourceError("path", f"{file}, row {row + 1}, column {column!r}: {problem}")


def open_table(source: CsvSource | ParquetSource, base: Path) -> Table:
    return CsvTable(source, base) if isinstance(source, CsvSource) else ParquetTable(source, base)
