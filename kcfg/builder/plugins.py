"""Importing a recipe's plugins: the one place where a recipe makes kcfg run other code.

Everything a plugin module defines at top level (classes, functions, and callables it
assigns to a name, such as a configured loss), plus what it registers with
`keras.saving.register_keras_serializable`, becomes usable by name, bare or dotted with
the module (`my_pkg.layers.Antirectifier`). That is
the same set of names `kcfg validate` reads from the plugin's source without importing it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from kcfg.recipe.errors import KeyPath, Location, Problem, RecipeError, dotted
from kcfg.recipe.plugin_scan import plugin_source

Plugins = dict[str, Any]


def import_plugin(spec: str, recipe_dir: Path) -> ModuleType:
    """Import `pkg.module` (beside the recipe or on the Python path) or a `file.py` next to the recipe."""
    if spec.endswith(".py"):
        path = (recipe_dir / spec).resolve()
        module_name = f"kcfg_plugins.{path.stem}"
        if module_name in sys.modules and getattr(sys.modules[module_name], "__file__", None) == str(path):
            return sys.modules[module_name]
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module  # keras.saving and dataclasses look modules up by name
        module_spec.loader.exec_module(module)
        return module
    if plugin_source(spec, recipe_dir) is not None and str(recipe_dir) not in sys.path:
        sys.path.insert(0, str(recipe_dir))
    return importlib.import_module(spec)


def defined_in(obj: Any, module: ModuleType) -> bool:
    """Classes, functions and callable objects the module made (`contrastive_loss = loss(margin=1)`), not what it imported."""
    if inspect.ismodule(obj) or not callable(obj):
        return False
    return getattr(obj, "__module__", None) == module.__name__


def load_plugins(specs: Sequence[str], recipe_dir: Path, where: Callable[[KeyPath], Location]) -> Plugins:
    """Import every plugin; name -> class or function.

    Args:
        specs: the recipe's `plugins` list.
        recipe_dir: the folder relative plugin paths start from.
        where: `LoadedRecipe.where`, to place import errors on the recipe's line.

    Raises:
        RecipeError: a plugin failed to import.
    """
    import keras

    found: Plugins = {}
    problems: list[Problem] = []
    for i, spec in enumerate(specs):
        try:
            module = import_plugin(spec, recipe_dir)
        except Exception as exc:  # plugin code can raise anything; report it on the recipe's line
            problems.append(Problem(where(("plugins", i)), dotted(("plugins", i)), f"importing plugin {spec!r} failed: {type(exc).__name__}: {exc}"))
            continue
        qualified = "" if spec.endswith(".py") else f"{spec}."  # `my_pkg.layers.Antirectifier` as well as `Antirectifier`
        for name, obj in vars(module).items():
            if not name.startswith("_") and defined_in(obj, module):
                found[name] = found[qualified + name] = obj
    if problems:
        raise RecipeError(problems)
    for key, obj in keras.saving.get_custom_objects().items():
        found.setdefault(key.rpartition(">")[2], obj)
    return found
