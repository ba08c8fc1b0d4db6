"""Files written so that a killed process never leaves half of one behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Every temporary file starts with this, so a resumed run can sweep up a killed run's leftovers.
TMP_PREFIX = ".tmp-"


def temporary_beside(path: Path) -> Path:
    """A private name in `path`'s folder that keeps its suffix (Keras checks `.keras`, `.weights.h5`)."""
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path for a writer that names its own file (Keras, NumPy); rename it over `path` after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:  # a failed write (disk full, Ctrl-C) leaves nothing behind
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    with replacing(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        handle.flush()
        os.fsync(handle.fileno())


def remove_temporaries(folder: Path) -> None:
    """Delete what an interrupted writer left in `folder` (never a finished file)."""
    for leftover in folder.glob(f"{TMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
