"""`kcfg import`'s arguments: a serialized layer config -> the keyword arguments a recipe writes.

Only required arguments and those whose value differs from what the class gives by
default are kept; the defaults come from building the class with the kept arguments, since
some depend on others. Nested Keras objects become `{type: ...}` mappings.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, cast

import keras
import numpy as np

from kcfg.builder.keras_names import recipe_function
from kcfg.builder.objects import ObjectFactory, shape_tuple
from kcfg.recipe.grammar import LAMBDA_PREFIXES

#: Config keys that are not constructor arguments a recipe writes (`vocabulary_size` follows the vocabulary).
SKIPPED = {"name", "build_config", "compile_config", "vocabulary_size"}


def is_model(config: dict[str, Any]) -> bool:
    return config.get("class_name") in ("Functional", "Model", "Sequential") and "layers" in config.get("config", {})


#: Keys a `.keras` file adds to serialized objects that say nothing about the object itself.
_FILE_KEYS = {"shared_object_id"}


def plain_config(value: Any) -> Any:
    """Tuples (raw or serialized as `__tuple__`) become lists, recursively; a saved file's
    bookkeeping keys (`shared_object_id`) are dropped, so its configs equal a fresh object's."""
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        return plain_config(value["config"]["value"])
    if isinstance(value, (list, tuple)):
        return [plain_config(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_config(v) for k, v in value.items() if k not in _FILE_KEYS}
    return value


def short_float(value: Any) -> Any:
    """A float that is exactly a float32 (a saved variable, adapted bin boundaries) as the
    shortest decimal that reads back to it: 0.0010000000474974513 is written 0.001."""
    if isinstance(value, float) and float(np.float32(value)) == value:
        return float(str(np.float32(value)))
    if isinstance(value, dict):
        return {k: short_float(v) for k, v in value.items()}
    return value


def _policy_name(value: Any) -> Any:
    """A serialized DTypePolicy as its name: Keras writes dtypes both ways."""
    if isinstance(value, dict) and value.get("class_name") == "DTypePolicy":
        return value.get("config", {}).get("name")
    return value


def _same(default: Any, value: Any) -> bool:
    """Equal configs, ignoring the names Keras generates for nested layers."""
    default, value = _policy_name(default), _policy_name(value)
    if isinstance(default, float) and isinstance(value, float):
        return bool(np.float32(default) == np.float32(value))  # optimizers save float32 variables
    if isinstance(default, dict) and isinstance(value, dict):
        keys = (set(default) | set(value)) - {"name"}
        return all(_same(default.get(k), value.get(k)) for k in keys)
    if isinstance(value, list) and len(value) == 1 and not isinstance(default, list):
        return _same(default, value[0])  # LayerNormalization's axis -1 is saved as [-1]
    if isinstance(default, list) and isinstance(value, list):
        return len(default) == len(value) and all(_same(a, b) for a, b in zip(default, value))
    return bool(default == value)


class ArgumentWriter:
    """Recipe arguments for layer and object configs; names what a recipe cannot express in `unknown`."""

    def __init__(self, factory: ObjectFactory, unknown: list[str], submodel: Callable[[dict[str, Any]], str]) -> None:
        self.factory = factory
        self.unknown = unknown
        self.submodel = submodel
        self.defaults: dict[str, dict[str, Any]] = {}

    def required(self, category: str, class_name: str) -> list[str]:
        """Constructor arguments without a default: always written."""
        params = inspect.signature(cast(Any, self.factory.keras_class(category, class_name)).__init__).parameters.values()
        return [p.name for p in params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]

    def rebuilt_config(self, category: str, class_name: str, given: dict[str, Any]) -> dict[str, Any]:
        """The config of the class built from only the `given` (serialized) arguments; {} if it cannot be."""
        key = class_name + json.dumps(given, sort_keys=True, default=str)
        if key not in self.defaults:
            try:
                instance = self.factory.keras_class(category, class_name)(**{k: self.live_value(v) for k, v in given.items()})
                self.defaults[key] = plain_config(keras.saving.serialize_keras_object(instance)["config"])
            except (TypeError, ValueError, KeyError):
                self.defaults[key] = {}
        return self.defaults[key]

    def signature_defaults(self, category: str, class_name: str) -> dict[str, Any]:
        """The constructor's own defaults, for classes that cannot be built from the required
        arguments alone (`CategoryEncoding` needs `num_tokens`, `Discretization` bins)."""
        params = inspect.signature(cast(Any, self.factory.keras_class(category, class_name)).__init__).parameters.values()
        defaults = {p.name: plain_config(p.default) for p in params if p.default is not p.empty}
        policy = {"dtype": keras.config.dtype_policy().name} if defaults.get("dtype") is None else {}
        return {"trainable": True, **defaults, **policy}

    def live_value(self, value: Any) -> Any:
        """A serialized constructor argument as the object Keras would pass."""
        if isinstance(value, dict) and value.get("class_name") == "function" and isinstance(value.get("config"), str):
            return self.factory.function(self.function_name(value["config"], "?"))
        if isinstance(value, dict) and "class_name" in value:
            return keras.saving.deserialize_keras_object(value, custom_objects=self.factory.plugins)
        return shape_tuple(plain_config(value))

    def arguments(self, category: str, class_name: str, config: dict[str, Any]) -> dict[str, Any]:
        """The arguments that rebuild `config`: required ones, then those whose default differs.

        Defaults can depend on other arguments (MaxPooling2D's `strides` follows
        `pool_size`), so the check is repeated with what was kept so far.
        """
        skipped = SKIPPED - {"name"} if category in ("losses", "metrics") else SKIPPED  # their names key the logs
        kept = set(self.required(category, class_name))
        for _ in range(2):
            rebuilt = self.rebuilt_config(category, class_name, {k: config[k] for k in sorted(kept) if k in config}) or self.signature_defaults(category, class_name)
            kept |= {k for k, v in config.items() if k not in skipped and not _same(rebuilt.get(k), plain_config(v))}
        order = [k for k in config if k in kept and k in self.required(category, class_name)] + [k for k in config if k in kept and k not in self.required(category, class_name)]
        return {key: self.value(key, plain_config(config[key]), class_name) for key in order if key not in skipped}

    def value(self, key: str, value: Any, owner: str) -> Any:
        """A config value as a recipe writes it: Keras objects as `{type: ...}` or a class name."""
        if key == "dtype":
            return _policy_name(value)
        if isinstance(value, float):
            return short_float(value)
        if isinstance(value, list):
            return [self.value(key, v, owner) for v in value]
        if not (isinstance(value, dict) and "class_name" in value and "config" in value):
            return value
        if value["class_name"] == "__lambda__":
            self.unknown.append(f"a Python lambda in {owner}.{key}")
            return None
        if value["class_name"] == "function":
            return self.function_name(value["config"], owner)
        category = self.category_of(value)
        if category is None:
            self.unknown.append(f"{value['class_name']} in {owner}.{key}")
            return None
        if is_model(value):
            return {"type": self.submodel(value)}
        arguments = self.arguments(category, value["class_name"], value["config"])
        return {"type": value["class_name"], **arguments}  # never a bare name: Keras's get("Constant") cannot build it

    def category_of(self, value: dict[str, Any]) -> str | None:
        module = str(value.get("module", ""))
        for category in ("initializers", "regularizers", "constraints", "layers", "optimizers", "losses", "metrics"):
            if f".{category}" in module or module == f"keras.{category}":
                try:
                    self.factory.keras_class(category, value["class_name"])
                except ValueError:
                    return None
                return category
        return "layers" if value["class_name"] in self.factory.plugins else None

    def function_name(self, name: str, owner: str, prefixed: bool = True) -> str:
        """How a recipe names a saved function: `keras.ops.abs` for kcfg's stand-ins, a plugin's
        name for what it registered (`package>name`), Keras's own with its module unless
        `prefixed` is off (losses and metrics are named bare)."""
        written = recipe_function(name)
        if written is not None:
            return written
        if name.startswith("keras.ops."):
            return name
        if prefixed:
            for prefix, section in LAMBDA_PREFIXES.items():
                if callable(getattr(getattr(keras, section), name, None)):
                    return prefix + name
        elif ">" not in name:
            return name
        if name in self.factory.plugins:
            return name
        registered = keras.saving.get_registered_object(name)
        if registered is not None:
            for plugin_name, plugin in self.factory.plugins.items():
                if plugin is registered:
                    return plugin_name
        self.unknown.append(f"function {name!r} in {owner}")
        return name
