"""Loading a `.keras` file that kcfg saved, in Keras's safe mode.

kcfg's own names (`kcfg>y_pred`, `kcfg>ops.*`) are registered by `kcfg.builder.keras_names`.
Models saved before kcfg registered its `keras.ops` functions name them bare (`abs`);
plugin functions a plugin did not register, and a function a `{factory: ...}` returned (a
loss closure), are saved by their `__name__`: kcfg knows which functions the recipe named
and which factories it called, and hands them to `load_model` as custom objects. Nothing
is loaded as Python bytecode.
kcfg's own names (`kcfg>y_pred`, `kcfg>ops.*`) are registered by `kcfg.builder.keras_names`.
Models saved before kcfg registered its `keras.ops` functions name them bare (`abs`), and
plugin functions a plugin did not register are saved bare too: kcfg knows which functions
the recipe named and hands them to `load_model` as custom objects. Nothing is loaded as
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

import kcfg.builder.keras_names  # noqa: F401 - registers kcfg>y_pred and kcfg>ops.*, which saved models refer to
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
