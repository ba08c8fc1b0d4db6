"""Loading a `.keras` file that kcfg saved, in Keras's safe mode.

Keras saves a `Lambda`'s named function by its bare name (`abs` for `keras.ops.abs`), and
a function a `{factory: ...}` returned (a loss closure) by its `__name__`, and cannot find
either again on its own; kcfg knows which functions the recipe named and which factories
it called, so it hands them to `load_model` as custom objects. Plugin classes and functions are registered by the
plugin itself or passed the same way. Nothing is loaded as Python bytecode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

import kcfg.run.losses  # noqa: F401 - registers the y_pred loss that compiled models refer to
from kcfg.builder import ObjectFactory
from kcfg.recipe import Recipe, plain, plan_recipe
from kcfg.recipe.grammar import FUNCTIONS, factory_calls


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


def factory_products(recipe: Recipe, factory: ObjectFactory) -> dict[str, Any]:
    """Name -> what each `{factory: ...}` of the recipe returns, made again as the recipe says."""
    layers = [step.spec.arguments for graph in plan_recipe(recipe).graphs() for step in graph.steps.values()]
    written = [plain(dict(recipe.compile or {})), plain(recipe.callbacks), *layers]
    for call in factory_calls(written):
        factory.build(call, FUNCTIONS)
    return factory.products


def load_saved_model(path: Path, recipe: Recipe, factory: ObjectFactory) -> Any:
    custom_objects = {**factory.plugins, **recipe_functions(recipe, factory), **factory_products(recipe, factory)}
    return keras.saving.load_model(path, custom_objects=custom_objects)
