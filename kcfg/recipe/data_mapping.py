"""How a data source's `x`/`y`/`sample_weight` map onto the model, without TensorFlow.

`kcfg validate` checks a TFRecord `features:` spec with these rules; the run stage
applies the same ones to arrays and tensors (`kcfg/run/mapping.py`).
"""

from __future__ import annotations

import math
from typing import Any

Shape = tuple[int | None, ...]


def column_name(key: Any) -> Any:
    """A mapping's column as the arrays name it: a headerless CSV's column index `3` is column "3"."""
    if isinstance(key, list):
        return [column_name(k) for k in key]
    return str(key) if isinstance(key, int) else key


def as_mapping(mapping: Any, names: list[str]) -> dict[str, Any] | None:
    """Model input (or output) name -> its column(s); one key given for one name applies to it (for several, to each)."""
    if mapping is None:
        return None
    if isinstance(mapping, (str, int)):
        return {names[0]: column_name(mapping)} if len(names) == 1 else {name: column_name(mapping) for name in names}
    return {name: column_name(key) for name, key in mapping.items()}


def default_key(keys: Any, name: str, key: str, count: int) -> str | None:
    """The key a model input (`key` "x") or output ("y") reads when the recipe maps none: its name, or `key` for the only one."""
    candidates = [name, key] if count == 1 else [name]
    return next((c for c in candidates if c in keys), None)


def mapped_columns(mapping: Any) -> list[str]:
    """Every column a mapping reads."""
    if mapping is None:
        return []
    if isinstance(mapping, (str, int)):
        return [column_name(mapping)]
    return [column_name(c) for value in mapping.values() for c in (value if isinstance(value, list) else [value])]


def fitted_shape(sample: tuple[int, ...], shape: Shape, *, reshape: bool, sparse: bool) -> Shape | str | None:
    """The per-sample shape data of shape `sample` takes to fit `shape`: None when it fits as it is, else the
    shape to reshape to, or a string (a hint, maybe empty) when it cannot fit.

    Targets of an output `(..., C)` with a sparse loss may be class ids `(...)` or
    `(..., 1)` at any rank (segmentation masks, tags), as Keras's sparse losses take them.
    """

    def fits(wanted: Shape, given: tuple[int, ...]) -> bool:
        return len(wanted) == len(given) and all(s is None or s == a for s, a in zip(wanted, given))

    if fits(shape, sample):
        return None
    if len(shape) == len(sample) + 1 and shape[-1] == 1 and fits(shape[:-1], sample):
        return (*sample, 1)  # labels (n,) for an output (n, 1); images without a channel axis
    if reshape and None not in shape and math.prod(sample) == math.prod(d for d in shape if d is not None):
        return shape
    if not reshape and len(shape) == 1 and len(sample) == 0:
        return None  # class ids for a softmax output
    ids_shaped = not reshape and bool(shape) and (fits(shape[:-1], sample) or (sample[-1:] == (1,) and fits(shape[:-1], sample[:-1])))
    if ids_shaped and sparse:
        return None
    return " (class ids need a sparse loss such as sparse_categorical_crossentropy)" if ids_shaped else ""
