"""Finding the CSV cell pyarrow could not read: its file, line (as an editor numbers it) and column.

pyarrow's errors name a column number at most, never the row. When one stops a stream,
the file is read again from its start with Python's csv module, which knows the line
of every record, until the first row at fault; only a failing read pays for it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

#: Cells longer than this are not quoted whole in a message.
SHOWN = 40


def shown(cell: Any) -> str:
    """A cell quoted for a message: shortened, bytes that are not text as escapes (b'\\xe9' -> \\xe9)."""
    text = str(cell).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return f"'{text if len(text) <= SHOWN else text[:SHOWN] + '...'}'"


def cell_problem(cell: str, kind: str, encoding: str) -> str | None:
    """What is wrong with one cell of a column read as `kind`, or None."""
    if any("\udc80" <= ch <= "\udcff" for ch in cell):
        return f"{shown(cell)} is not {encoding} text: give the file's encoding (encoding: latin-1, ...)"
    if kind == "string":
        return None
    if cell.strip() == "":
        return "empty cell in a column of numbers: fill it in, or declare the column text (dtypes: {COLUMN: string})"
    try:
        value = float(cell)
    except ValueError:
        return f"{shown(cell)} is not a number: fix the cell, or declare the column text (dtypes: {{COLUMN: string}})"
    if kind.startswith("int") and not value.is_integer():
        return f"{shown(cell)} is not a whole number, as the column's first rows are: declare the column's type (dtypes: {{COLUMN: float32}})"
    return None


def locate_csv_fault(file: Path, source: Any, names: list[str] | None, kinds: dict[str, str], *, record: int | None = None) -> str | None:
    """`FILE, line L, column 'name' (field F): problem` for the first row at fault (or for data row `record`, 0-based).

    Rows are checked for their number of fields, the text encoding, and the cells of the
    columns in `kinds` against their types. None when no row is at fault.
    """
    previous = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a long text field is data, not a fault
    try:
        with open(file, newline="", encoding=source.encoding, errors="surrogateescape") as handle:
            reader = csv.reader(handle, delimiter=source.delimiter)
            line = 1
            if source.header:
                header = next(reader, [])
                names, line = names or header, reader.line_num + 1
            for index, row in enumerate(reader):
                found = row_problem(row, names, kinds, source.encoding)
                if found is not None and (record is None or record == index):
                    column, problem = found
                    where = f"{file}, line {line}" + (f", column {names[column]!r} (field {column + 1})" if names and column is not None else "")
                    return f"{where}: {problem.replace('COLUMN', names[column] if names and column is not None else 'COLUMN')}"
                if record is not None and index >= record:
                    return None
                line = reader.line_num + 1
    except (OSError, csv.Error, LookupError):
        return None
    finally:
        csv.field_size_limit(previous)
    return None


def row_problem(row: list[str], names: list[str] | None, kinds: dict[str, str], encoding: str) -> tuple[int | None, str] | None:
    """(field index, problem) of the first fault of one row."""
    if names is not None and len(row) != len(names):
        return None, f"{len(row)} fields, but the file has {len(names)} columns: a row {'too short' if len(row) < len(names) else 'with more fields'} (quote a field that holds the delimiter)"
    for index, cell in enumerate(row):
        name = names[index] if names is not None else str(index)
        problem = cell_problem(cell, kinds.get(name, "string"), encoding)
        if problem is not None:
            return index, problem
    return None
