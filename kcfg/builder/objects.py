"""Keras objects from recipe values: `{type: Class, ...kwargs}` anywhere Keras takes an object.

Like torchtune's `instantiate`: a mapping with `type` is built (its arguments first), a
list is walked, anything else is passed to Keras as written (Keras resolves its own
string names). Classes come only from the `keras.*` module of the argument's category or
from the recipe's plugins: a recipe cannot reach any other Python object.
"""

from __future__ import annotations

import importlib
from typing import Any

from kcfg.builder.plugins import Plugins
from kcfg.recipe.catalog import argument_category

#: Catalog category -> (public Keras module, base class every object of it derives from).
KERAS_MODULES = {
    "layers": ("keras.layers", "Layer"),
    "losses": ("keras.losses", "Loss"),
    "metrics": ("keras.metrics", "Metric"),
    "optimizers": ("keras.optimizers", "Optimizer"),
    "schedules": ("keras.optimizers.schedules", "LearningRateSchedule"),
    "callbacks": ("keras.callbacks", "Callback"),
    "initializers": ("keras.initializers", "Initializer"),
    "regularizers": ("keras.regularizers", "Regularizer"),
    "constraints": ("keras.constraints", "Constraint"),
}
#: Categories whose strings name classes (`Bidirectional(layer: LSTM)`), not `keras.*.get` identifiers.
_CLASS_ONLY = ("layers", "callbacks", "schedules")
#: `Lambda` functions a recipe may name, by prefix.
LAMBDA_MODULES = {"keras.ops.": "keras.ops", "keras.activations.": "keras.activations"}


def shape_tuple(value: Any) -> Any:
    """`[7, 7, 8]` -> `(7, 7, 8)`: YAML has no tuples, and some Keras layers add tuples to shapes."""
    if isinstance(value, list) and all(item is None or isinstance(item, (int, list)) and not isinstance(item, bool) for item in value):
        items = [shape_tuple(item) for item in value]
        if all(item is None or isinstance(item, (int, tuple)) for item in items):
            return tuple(items)
    return value


class ObjectFactory:
    """Builds Keras objects from recipe values, looking names up in Keras and then in plugins."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins

    def keras_class(self, category: str, name: str) -> type:
        """The class `name` of a category: a `keras.*` class deriving from its base, or a plugin's."""
        module_name, base_name = KERAS_MODULES[category]
        module = importlib.import_module(module_name)
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, getattr(module, base_name)):
            return found
        plugin = self.plugins.get(name)
        if isinstance(plugin, type):
            return plugin
        raise ValueError(f"unknown {category[:-1]} class {name!r}")

    def build(self, value: Any, category: str) -> Any:
        """A recipe value at an argument of `category`, as the Keras object it describes."""
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            kwargs = {k: v for k, v in value.items() if k != "type"}
            cls = self.keras_class("layers" if category == "activations" else category, value["type"])
            return cls(**self.arguments(kwargs))
        if isinstance(value, list):
            return [self.build(item, category) for item in value]
        if isinstance(value, str):
            if category in _CLASS_ONLY:
                return self.keras_class(category, value)()
            if value in self.plugins:
                return self.plugins[value]
        return value

    def arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments with nested Keras objects built and shapes as tuples."""
        built = {}
        for key, value in kwargs.items():
            category = argument_category(key)
            built[key] = shape_tuple(value) if category is None or value is None else self.build(value, category)
        return built

    def function(self, name: str) -> Any:
        """A `Lambda` function: `keras.ops.*`, `keras.activations.*`, or a plugin's function."""
        for prefix, module_name in LAMBDA_MODULES.items():
            if name.startswith(prefix):
                found = getattr(importlib.import_module(module_name), name[len(prefix):], None)
                if callable(found):
                    return found
        found = self.plugins.get(name.rsplit(".", 1)[-1])
        if callable(found):
            return found
        raise ValueError(f"Lambda function {name!r} is not keras.ops.*, keras.activations.* or a plugin function")

    def layer(self, type_name: str, name: str, kwargs: dict[str, Any]) -> Any:
        """A layer instance named after its recipe entry."""
        arguments = self.arguments(kwargs)
        if type_name == "Lambda" and isinstance(arguments.get("function"), str):
            arguments["function"] = self.function(arguments["function"])
        return self.keras_class("layers", type_name)(name=name, **arguments)
