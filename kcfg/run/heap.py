"""Python's cyclic garbage collector kept off the objects that live for a whole fit.

By the time `fit` starts, a kcfg process holds about half a million objects (TensorFlow,
Keras, JAX, pyarrow, the recipe). Tracing the first train step creates many more, and a
full collection then walks them all: about 0.25 s on a 2-core machine, paid inside the
first epoch (`bench/data_scale.py` measured it as a 30 MB TFRecord epoch 0.3 s slower than
a hand-written script that had happened to collect before its fit), and in each recipe of
`kcfg smoke`, which traces several functions per recipe. `gc.freeze` moves the
objects alive now out of the collector's reach for the duration; they return afterwards,
so a process that trains many times (tests, smoke, search) still frees their cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Within `with`: collections walk only the objects made inside it."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
