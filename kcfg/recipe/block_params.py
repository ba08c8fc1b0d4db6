"""A block's parameters: what each use gives (or the defaults), and `${params.NAME}` filled in.

Each value remembers where it was written (the use's key, or the block's default), so a
bad value is reported on the line that gave it, not on the block's line that used it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.report import Report
from kcfg.recipe.schema import Block, LayerSpec
from kcfg.recipe.suggest import did_you_mean
from kcfg.recipe.validation import report_validation_error
from kcfg.recipe.yaml_traps import tuple_tails

_PARAM = re.compile(r"\$(\$?)\{params\.([^{}]*)\}")
#: Parameter name -> (value, where it was written).
Values = dict[str, tuple[Any, KeyPath]]


class Parameters:
    """Binds a use's parameters and fills them into a block's layers, reporting misuses."""

    def __init__(self, report: Report | None) -> None:
        self.report = report

    def problem(self, path: KeyPath, message: str, key: KeyPath | None = None) -> None:
        if self.report is not None:
            self.report.error(path, message, key=key)

    def bind(self, block: Block, name: str, given: dict[str, Any], sources: dict[KeyPath, KeyPath], path: KeyPath) -> Values | None:
        """The use's values (or the defaults) and where each was written; None when one is missing."""
        tails = tuple_tails(given)
        for key in given:
            if key not in block.params and key not in tails:
                self.problem(path + (key,), f"block {name!r} has no parameter {key!r}{did_you_mean(key, block.params)} (its parameters: {', '.join(block.params) or 'none'})", key=path)
        values: Values = {}
        complete = True
        for key, default in block.params.items():
            if key in given:
                values[key] = (given[key], sources.get((key,), path + (key,)))
            elif default is None:
                self.problem(path, f"block {name!r} needs parameter {key!r}: blocks.{name}.params gives it no default")
                complete = False
            else:
                values[key] = (default, ("blocks", name, "params", key))
        return values if complete else None

    def substituted(self, spec: LayerSpec, values: Values, block: str, path: KeyPath) -> tuple[LayerSpec | None, dict[KeyPath, KeyPath]]:
        """A block's layer with the use's values in it, and where each whole value came from (None: reported)."""
        sources: dict[KeyPath, KeyPath] = {}
        data = self.substitute(spec.model_dump(exclude_unset=True), values, block, path, (), sources)
        try:
            return LayerSpec.model_validate(data), sources
        except ValidationError as exc:
            if self.report is not None:  # on the use's parameter when the value came from one
                report_validation_error(exc, data, self.report, place=lambda rel: sources.get(rel, path + rel))
            return None, sources

    def substitute(self, node: Any, values: Values, block: str, path: KeyPath, rel: KeyPath, sources: dict[KeyPath, KeyPath]) -> Any:
        """`"${params.NAME}"` is the value itself (its type kept); inside a longer string, its text; `$${...}` stays literal."""
        if isinstance(node, dict):
            return {key: self.substitute(value, values, block, path, rel + (key,), sources) for key, value in node.items()}
        if isinstance(node, list):
            return [self.substitute(value, values, block, path, rel + (i,), sources) for i, value in enumerate(node)]
        if not isinstance(node, str) or "{params." not in node:
            return node

        def value(name: str) -> Any:
            if name in values:
                return values[name][0]
            self.problem(path + rel, f"block {block!r} has no parameter {name!r}{did_you_mean(name, values)} (its parameters: {', '.join(values) or 'none'})", key=path)
            return None

        whole = _PARAM.fullmatch(node)
        if whole and not whole.group(1):
            name = whole.group(2).strip()
            if name in values:
                sources[rel] = values[name][1]
            return value(name)
        return _PARAM.sub(lambda m: m.group(0)[1:] if m.group(1) else str(value(m.group(2).strip())), node)
