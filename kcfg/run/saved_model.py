"""Loading a `.keras` file that kcfg saved, in Keras's safe mode.

kcfg's own names (`kcfg>y_pred`, `kcfg>ops.*`) are registered by `kcfg.builder.keras_names`.
Models saved before kcfg registered its `keras.ops` functions name them bare (`abs`), and
plugin functions a plugin did not register are saved bare too: kcfg knows which functions
the recipe named and hands them to `load_model` as custom objects. Nothing is loaded as
Python bytecode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

import kcfg.builder.keras_names  # noqa: F401 - registers kcfg>y_pred and kcfg>ops.*, which saved models refer to
from kcfg.builder import ObjectFactory
from kcfg.recipe import Recipe


def recipe_functions(recipe: Recipe, factory: ObjectFactory) -> dict[str, Any]:
    """Bare name -> function, for every `Lambda` function in the recipe's graphs."""
    functions = {}
    for graph in [recipe.model, *recipe.submodels.values()]:
        for spec in graph.layers.values():
            name = spec.arguments.get("function") if spec.type == "Lambda" else None
            if isinstance(name, str):
                function = factory.function(name)
                functions[function.__name__] = function
    return functions


def load_saved_model(path: Path, recipe: Recipe, factory: ObjectFactory) -> Any:
    return keras.saving.load_model(path, custom_objects={**factory.plugins, **recipe_functions(recipe, factory)})
