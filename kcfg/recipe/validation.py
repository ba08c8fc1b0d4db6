"""pydantic's errors as recipe problems: one line each, at the place the value was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.report import Report
from kcfg.recipe.schema import PATTERN_HINTS, Recipe, UnknownKey
from kcfg.recipe.suggest import did_you_mean
from kcfg.recipe.yaml_traps import string_trap

_NOUNS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}
_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}


def describe(value: Any) -> str:
    """A received value as the recipe author wrote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def data_path(data: Any, loc: tuple[Any, ...], missing: bool = False) -> KeyPath:
    """The recipe path of a pydantic `loc`, without the parts that name union branches.

    For a `missing` error the last part is the absent key and is kept.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        path.append(part)
    if missing and loc and (not path or path[-1] != loc[-1]):
        path.append(loc[-1])
    return tuple(path)


def _message(error: dict[str, Any]) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx") or {}
    if kind in _NOUNS:
        trap = string_trap(value) if isinstance(value, str) else None
        if trap:
            return f"expected {_NOUNS[kind]}: {trap}"
        hint = f"; write {{type: {value}, ...}}" if kind == "model_type" and isinstance(value, str) and value[:1].isupper() else ""
        return f"expected {_NOUNS[kind]}, got {describe(value)}{hint}"
    if kind == "literal_error":
        hint = did_you_mean(value, [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]) if isinstance(value, str) else ""
        return f"expected {ctx.get('expected')}, got {describe(value)}{hint}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()))
        return f"must be {_BOUNDS[kind]} {bound}, got {describe(value)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} entries"
    if kind == "string_pattern_mismatch":
        return f"expected {PATTERN_HINTS.get(str(ctx.get('pattern')), 'a string matching ' + str(ctx.get('pattern')))}, got {describe(value)}"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        expected = str(ctx.get("expected_tags", "")).replace("'", "").split(", ")
        return f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {tag!r}{did_you_mean(tag, expected)}; expected one of {', '.join(expected)}"
    if kind == "union_tag_not_found":
        return f"missing required key {ctx.get('discriminator', '').strip(chr(39))!r}"
    message = str(error["msg"])
    return message[0].lower() + message[1:] if message[:1].isupper() and not message[1:2].isupper() else message


def report_validation_error(exc: ValidationError, data: Any, report: Report, place: Callable[[KeyPath], KeyPath] | None = None) -> None:
    """Add one problem per distinct place; union branches at one place merge into one line.

    `place` maps a path in `data` to where it was written in the recipe (a block's layer,
    validated after its parameters were filled in); by default `data` is the recipe.
    """
    by_path: dict[KeyPath, list[Any]] = {}  # pydantic ErrorDetails
    for error in exc.errors(include_url=False):
        path = data_path(data, error["loc"], error["type"] == "missing")
        by_path.setdefault(place(path) if place else path, []).append(error)
    for path, errors in by_path.items():
        deeper = any(other[: len(path)] == path and len(other) > len(path) for other in by_path)
        if deeper and all(e["type"] in _NOUNS for e in errors):
            continue  # another branch of a union accepted the container and failed inside it
        first = errors[0]
        if first["type"] == "extra_forbidden":
            hint = first["input"].hint if isinstance(first["input"], UnknownKey) else f"unknown key {path[-1]!r}"
            report.error(path, hint, key=path[:-1])
        elif first["type"] == "missing":
            report.error(path[:-1], f"missing required key {path[-1]!r}")
        elif len(errors) > 1 and all(e["type"] in _NOUNS or e["type"] == "literal_error" for e in errors):
            nouns = [_NOUNS.get(e["type"]) or str((e.get("ctx") or {}).get("expected")) for e in errors]
            report.error(path, f"expected {' or '.join(dict.fromkeys(nouns))}, got {describe(first['input'])}")
        else:
            for error in errors:
                discriminator = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
                at = path + (discriminator,) if error["type"] == "union_tag_invalid" and discriminator else path
                report.error(at, _message(error), key=path)


def validate_model(data: dict[str, Any], report: Report) -> Recipe | None:
    """The pydantic model of `data`, or None after reporting why it is invalid."""
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        report_validation_error(exc, data, report)
        return None
