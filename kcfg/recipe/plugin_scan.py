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
    """Top-level classes (with constructor arguments), functions and assigned names of the scanned plugins."""

    classes: dict[str, ClassInfo] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    signatures: dict[str, ClassInfo] = field(default_factory=dict)  # function -> its arguments (for `factory:`)
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


def _arguments_info(a: ast.arguments, skip: int = 0) -> ClassInfo:
    """The keyword arguments a function takes (after the first `skip`, `self` for methods)."""
    positional = [arg.arg for arg in a.posonlyargs + a.args][skip:]
    names = positional + [arg.arg for arg in a.kwonlyargs]
    n_required = len(positional) - len(a.defaults)
    required = positional[:n_required] + [arg.arg for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]
    return ClassInfo(args=tuple(names), required=tuple(required), open=a.kwarg is not None)


def _init_info(node: ast.ClassDef) -> ClassInfo:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _arguments_info(item.args, skip=1)
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
                names.signatures[node.name] = names.signatures[qualified + node.name] = _arguments_info(node.args)
            else:
                names.functions.update(name for assigned in assigned_names(node) for name in (assigned, qualified + assigned))
    return names


def assigned_names(node: ast.stmt) -> list[str]:
    """Module-level names bound by assignment (`contrastive_loss = loss(margin=1)`), which may be callables."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return []
    return [target.id for target in targets if isinstance(target, ast.Name) and not target.id.startswith("_")]
