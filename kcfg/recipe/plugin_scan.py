"""What a plugin module defines, read from its source with `ast`: nothing is imported or run.

`kcfg validate` must not import TensorFlow, and plugins usually do; scanning their source
still lets it check layer types, losses and Lambda functions that plugins provide.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kcfg.recipe.catalog import ClassInfo


@dataclass
class PluginNames:
    """Top-level classes (with constructor arguments) and functions of the scanned plugins."""

    classes: dict[str, ClassInfo] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def knows(self, name: str) -> bool:
        return name in self.classes or name in self.functions or bool(self.unreadable)


def plugin_source(spec: str, recipe_dir: Path) -> Path | None:
    """The file of a plugin given as `pkg.module` or `path/to/file.py` (relative to the recipe)."""
    if spec.endswith(".py"):
        path = (recipe_dir / spec).resolve()
        return path if path.is_file() else None
    parts = spec.split(".")
    for root in [recipe_dir, *map(Path, sys.path)]:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    if "." not in spec:
        found = importlib.util.find_spec(spec)
        if found is not None and found.origin and found.origin.endswith(".py"):
            return Path(found.origin)
    return None


def _init_info(node: ast.ClassDef) -> ClassInfo:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            a = item.args
            positional = [arg.arg for arg in a.posonlyargs + a.args][1:]
            names = positional + [arg.arg for arg in a.kwonlyargs]
            n_required = len(positional) - len(a.defaults)
            required = positional[:n_required] + [arg.arg for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
            return ClassInfo(args=tuple(names), required=tuple(required), open=a.kwarg is not None)
    return ClassInfo(args=(), open=True)  # inherited constructor: not checked


def scan_plugins(specs: list[str], recipe_dir: Path) -> PluginNames:
    """Collect what each plugin defines at top level."""
    names = PluginNames()
    for spec in specs:
        source = plugin_source(spec, recipe_dir)
        if source is None:
            names.missing.append(spec)
            continue
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        except (OSError, SyntaxError, UnicodeDecodeError):
            names.unreadable.append(spec)
            continue
        qualified = "" if spec.endswith(".py") else f"{spec}."  # `my_pkg.layers.Antirectifier` as well as `Antirectifier`
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                names.classes[node.name] = names.classes[qualified + node.name] = _init_info(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.functions.update({node.name, qualified + node.name})
    return names
