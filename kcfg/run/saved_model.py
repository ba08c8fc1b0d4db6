"""Loading a `.keras` file that kcfg saved, in Keras's safe mode.

Keras saves a `Lambda`'s named function by its bare name (`abs` for `keras.ops.abs`) and
cannot find it again on its own; kcfg knows which functions the recipe named, so it hands
them to `load_model` as custom objects. Plugin classes and functions are registered by the
plugin itself or passed the same way. Nothing is loaded as Python bytecode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

import kcfg.run.losses  # noqa: F401 - registers the y_pred loss that compiled models refer to
from kcfg.builder import ObjectFactory
from kcfg.recipe import Recipe, plan_recipe


def recipe_functions(recipe: Recipe, factory: ObjectFactory) -> dict[str, Any]:
    """Bare name -> function, for every `Lambda` function in the recipe's graphs (blocks expanded)."""
    functions = {}
    for graph in plan_recipe(recipe).graphs():
        for step in graph.steps.values():
            spec = step.spec
            name = spec.arguments.get("function") if spec.type == "Lambda" else None
            if isinstance(name, str):
                function = factory.function(name)
                functions[function.__name__] = function
    return functions


def load_saved_model(path: Path, recipe: Recipe, factory: ObjectFactory) -> Any:
    return keras.saving.load_model(path, custom_objects={**factory.plugins, **recipe_functions(recipe, factory)})
