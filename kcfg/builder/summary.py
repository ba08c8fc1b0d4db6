"""Keras's own model summary, with each submodel instance shown under its recipe type name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kcfg.builder.graph import BuiltGraph

#: Lets Keras use its own widths (88 characters, 108 with the Connected to column) off a terminal.
_WIDE_CONSOLE = 200


@contextmanager
def submodel_type_names(built: BuiltGraph) -> Iterator[None]:
    """Show nested models as `m1 (member)` instead of `m1 (Functional)` while inside.

    Keras prints `layer.__class__.__name__`; each instance gets a same-layout subclass
    named after its submodel for the duration, and its own class back afterwards.
    """
    originals: list[tuple[Any, type]] = []
    try:
        for model in _nested_models(built.model):
            type_name = built.submodel_types().get(id(model))
            if type_name is not None:
                originals.append((model, model.__class__))
                model.__class__ = type(type_name, (model.__class__,), {"__module__": model.__class__.__module__})
        yield
    finally:
        for model, cls in originals:
            model.__class__ = cls


def _nested_models(model: Any) -> Iterator[Any]:
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers"):
            yield layer
            yield from _nested_models(layer)


@contextmanager
def console_columns(columns: int) -> Iterator[None]:
    """Keras renders with `rich`, which sizes its table to $COLUMNS (80 when not a terminal)."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def summary_text(built: BuiltGraph, *, expand: bool = False, width: int | None = None) -> str:
    """The summary Keras prints (`Model.summary`) as plain text, `width` characters wide if given."""
    lines: list[str] = []
    with submodel_type_names(built), console_columns(max(width or 0, _WIDE_CONSOLE) + 4):
        built.model.summary(line_length=width, expand_nested=expand, print_fn=lambda text, **_: lines.append(text))
    text = "".join(lines)
    return text if text.endswith("\n") else text + "\n"
