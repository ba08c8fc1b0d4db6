"""Bare `keras.ops` calls in a saved graph (`x + 3.0`, `ops.mean(x, axis=-1)`) -> `op:` entries.

Keras records such a call as an operation node, not a layer: its class (`Add`, `Mean`)
names the function, its config holds the function's keyword arguments and its inbound
node the operands. Writing it back as `{op: keras.ops.NAME, input: [...], arguments: {...}}`
rebuilds the same operation, so layer counts and connections match the original.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import keras

from kcfg.importer.arguments import plain_config


def is_operation(config: dict[str, Any]) -> bool:
    """A `keras.ops` operation called on tensors in the graph, not a layer."""
    return str(config.get("module", "")).startswith("keras.src.ops")


def function_of(class_name: str) -> tuple[str, Callable[..., Any] | None]:
    """`Add` -> (`keras.ops.add`, the function), or None where keras.ops has no such function."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    function = getattr(keras.ops, name, None)
    return f"keras.ops.{name}", function if callable(function) and not isinstance(function, type) else None


def operation_entry(layer: dict[str, Any], operands: list[Any], keywords: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
    """The `op:` entry of one call: `operands` are the call's positional values with tensors as
    recipe references (`keywords` its keyword ones), the op's own config its keyword arguments.

    Strings among the operands would read as references, so they move to `arguments:` by
    parameter name; arguments equal to the function's defaults are left out.
    """
    op, function = function_of(layer["class_name"])
    name = layer["config"].get("name")
    if function is None:
        unknown.append(f"{name} (keras.ops {layer['class_name']})")
        return {"op": op}
    parameters = inspect.signature(function).parameters
    defaults = {p.name: p.default for p in parameters.values() if p.default is not p.empty}
    arguments = {k: plain_config(v) for k, v in layer["config"].items() if k != "name"}
    arguments.update({k: plain_config(v) for k, v in keywords.items()})
    for key in arguments:
        if key not in parameters:
            unknown.append(f"{name} (keras.ops {layer['class_name']} argument {key!r})")
    positional = list(operands)
    while positional and type(positional[-1]) is str:  # a constant: references are `Ref`s
        arguments[list(parameters)[len(positional) - 1]] = positional.pop()
    arguments = {k: v for k, v in arguments.items() if not (k in defaults and _equal(defaults[k], v))}
    entry: dict[str, Any] = {"op": op, "input": _plain(positional)}
    if arguments:
        entry["arguments"] = arguments
    return entry


class Ref(str):
    """A recipe reference to a tensor, told apart from a string constant among an op's operands."""


def _plain(value: Any) -> Any:
    """`Ref`s as plain strings, which the YAML writer takes."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Ref) else value


def _equal(default: Any, value: Any) -> bool:
    default = list(default) if isinstance(default, tuple) else default
    return type(default) is type(value) and bool(default == value)
