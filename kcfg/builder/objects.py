"""Keras objects from recipe values: the grammar's visitor that builds (`kcfg.recipe.grammar`).

Like torchtune's `instantiate`: a `{type: ...}` mapping is built from its built arguments,
a list is walked, a string is passed to Keras as written (Keras resolves its own names).
Classes come only from the recipe's plugins, kcfg's fixed list of integrations
(`mlflow.keras.MlflowCallback`) or the `keras.*` module of the argument's category, in
that order, as Keras's deserializer looks up custom objects first: a recipe cannot reach
any other Python object.
"""

from __future__ import annotations

import importlib
from typing import Any

from kcfg.builder.plugins import Plugins
from kcfg.recipe.catalog import INTEGRATIONS
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import CLASS_ONLY, KERAS_MODULES, LAMBDA_PREFIXES, NOUNS, walk, walk_arguments


def shape_tuple(value: Any) -> Any:
    """`[7, 7, 8]` -> `(7, 7, 8)`: YAML has no tuples, and some Keras layers add tuples to shapes."""
    if isinstance(value, list) and all(item is None or isinstance(item, (int, list)) and not isinstance(item, bool) for item in value):
        items = [shape_tuple(item) for item in value]
        if all(item is None or isinstance(item, (int, tuple)) for item in items):
            return tuple(items)
    return value


def integration_class(dotted: str, extra: str) -> type:
    """A class kcfg re-exports by its dotted path (`mlflow.keras.MlflowCallback`), imported only when built."""
    module_name, _, class_name = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise ValueError(f"{dotted} needs {module_name.partition('.')[0]}, which is not installed: pip install 'kcfg-keras[{extra}]' ({exc})") from exc
    if not isinstance(found, type):
        raise ValueError(f"{dotted} is not a class")
    return found


class ObjectFactory:
    """Builds Keras objects from recipe values, looking names up in the plugins and then in Keras."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins
        #: What `factory:` calls returned, by the name Keras saves them under (for `load_model`).
        self.products: dict[str, Any] = {}
        self._calls: dict[str, str] = {}  # product name -> the call that made it

    def keras_class(self, category: str, name: str) -> type:
        """The class `name` of a category: a plugin's, or a `keras.*` class deriving from the category's base."""
        plugin = self.plugins.get(name)
        if isinstance(plugin, type):
            return plugin
        if name in INTEGRATIONS.get(category, {}):
            return integration_class(name, INTEGRATIONS[category][name].extra)
        module_name, base_name = KERAS_MODULES[category]
        module = importlib.import_module(module_name)
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, getattr(module, base_name)):
            return found
        raise ValueError(f"unknown {NOUNS[category].removesuffix(' type')} class {name!r}: not defined by a plugin, and not a {module_name} class")

    def build(self, value: Any, category: str, path: KeyPath = ()) -> Any:
        """A recipe value written where Keras takes an object of `category`, as that object."""
        return walk(value, category, path, self)

    def arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments with nested Keras objects built and shapes as tuples."""
        return walk_arguments(kwargs, (), self)

    # ---------------------------------------------------------------- the grammar's visitor

    def named(self, name: str, category: str, path: KeyPath) -> Any:
        if name in self.plugins:
            return self.plugins[name]
        if category in CLASS_ONLY:
            return self.keras_class(category, name)()
        return name

    def made(self, class_name: str, arguments: dict[str, Any], category: str, path: KeyPath) -> Any:
        if category == "layers" and class_name == "Lambda" and isinstance(arguments.get("function"), str):
            arguments = {**arguments, "function": self.function(arguments["function"])}  # a name, at any depth
        return self.keras_class(category, class_name)(**arguments)

    def factory(self, function: str, arguments: dict[str, Any], category: str, path: KeyPath) -> Any:
        """What plugin `function` returns for these arguments (a loss function, a metric, ...).

        Keras saves a function by its `__name__` (an object by its class name) and finds
        it again among `load_model`'s custom objects: the product is kept under that name.
        """
        found = self.plugins.get(function)
        if not callable(found) or isinstance(found, type):
            raise ValueError(f"factory {function!r} is not a function defined by a plugin")
        product = found(**arguments)
        if hasattr(product, "get_config"):  # an object: saved as its class and config
            self.products[type(product).__name__] = type(product)
            return product
        name = getattr(product, "__name__", function)
        call = f"{function}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
        if self._calls.setdefault(name, call) != call:
            raise ValueError(f"{call} and {self._calls[name]} both return a function named {name!r}; Keras saves functions by name, so a saved model could not tell them apart: use one call, or let the factory name its function after its arguments")
        self.products[name] = product
        return product

    def plain(self, value: Any, path: KeyPath) -> Any:
        return shape_tuple(value)

    # ---------------------------------------------------------------- layers

    def function(self, name: str) -> Any:
        """A `Lambda` function: a plugin's function, `keras.ops.*` or `keras.activations.*`."""
        found = self.plugins.get(name.rsplit(".", 1)[-1]) if not name.startswith(tuple(LAMBDA_PREFIXES)) else None
        for prefix, section in LAMBDA_PREFIXES.items():
            if name.startswith(prefix):
                found = getattr(importlib.import_module(f"keras.{section}"), name[len(prefix):], None)
        if name.startswith("keras.ops."):  # saved as kcfg>ops.NAME, which plain Keras finds once kcfg.builder.keras_names is imported
            from kcfg.builder.keras_names import OPS

            found = OPS.get(name[len("keras.ops."):], found)
        if callable(found):
            return found
        raise ValueError(f"Lambda function {name!r} is not keras.ops.*, keras.activations.* or a plugin function")

    def layer(self, type_name: str, name: str, kwargs: dict[str, Any]) -> Any:
        """A layer instance named after its recipe entry."""
        return self.made(type_name, {**self.arguments(kwargs), "name": name}, "layers", ())
