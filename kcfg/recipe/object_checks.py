"""Checks of Keras objects named in a recipe: class names, constructor arguments, nested objects."""

from __future__ import annotations

import re
from typing import Any

from kcfg.recipe.catalog import ClassInfo, argument_category, class_names, keras_class, string_names
from kcfg.recipe.errors import Path
from kcfg.recipe.plugin_scan import PluginNames
from kcfg.recipe.report import Report
from kcfg.recipe.suggest import did_you_mean

#: Category -> the word used in messages.
NOUNS = {
    "layers": "layer type",
    "losses": "loss",
    "metrics": "metric",
    "optimizers": "optimizer",
    "schedules": "learning-rate schedule",
    "callbacks": "callback",
    "initializers": "initializer",
    "regularizers": "regularizer",
    "constraints": "constraint",
    "activations": "activation",
    "functions": "function",
}
#: Loss that returns the model's own output (models that compute their loss in the graph).
Y_PRED_LOSS = "y_pred"
#: Arguments that take a plain function (LearningRateScheduler's `schedule`): plugin functions by name.
FUNCTIONS = "functions"
_LAMBDA_PREFIXES = {"keras.ops.": "ops", "keras.activations.": "activations"}
#: Categories named only by class (no snake_case string identifiers).
_CLASS_ONLY = ("layers", "callbacks", "schedules")
_CODE = re.compile(r"lambda\b|[()\[\]{}=+*/%<>;\s-]")


class ObjectChecker:
    """Checks `name` strings and `{type: ..., **kwargs}` mappings against Keras and plugins."""

    def __init__(self, report: Report, plugins: PluginNames) -> None:
        self.report = report
        self.plugins = plugins

    def check(self, value: Any, category: str, path: Path) -> None:
        """A Keras object given by name or `{type: ...}` at `path`."""
        if isinstance(value, str):
            self.check_name(value, category, path)
        elif isinstance(value, dict) and isinstance(value.get("type"), str):
            kwargs = {k: v for k, v in value.items() if k != "type"}
            category = "layers" if category == "activations" else category
            info = self.class_info(value["type"], category, path + ("type",))
            if info is not None:
                self.check_arguments(value["type"], info, kwargs, path)

    def check_name(self, name: str, category: str, path: Path) -> None:
        if category == "losses" and name == Y_PRED_LOSS:
            return
        if category == FUNCTIONS:
            if not self.plugins.knows(name):
                self.report.error(path, f"function {name!r} is not defined by a plugin{did_you_mean(name, self.plugins.functions)}")
            return
        known = string_names(category) if category not in _CLASS_ONLY else frozenset()
        if name in known or self.plugins.knows(name):
            return
        if category in _CLASS_ONLY:
            self.class_info(name, category, path)
            return
        self.report.error(path, f"unknown {NOUNS[category]} {name!r}{did_you_mean(name, known)}")

    def class_info(self, name: str, category: str, path: Path) -> ClassInfo | None:
        """The constructor of a Keras or plugin class; reports unknown names."""
        info = keras_class(category, name) or self.plugins.classes.get(name)
        if info is None and not self.plugins.knows(name):
            self.report.error(path, f"unknown {NOUNS[category]} {name!r}{did_you_mean(name, [*class_names(category), *self.plugins.classes])}", key=path[:-1] if path[-1] == "type" else path)
        return info

    def check_arguments(self, class_name: str, info: ClassInfo, kwargs: dict[str, Any], path: Path, *, reserved: tuple[str, ...] = ()) -> None:
        """Every keyword must be a constructor argument; required ones must be present."""
        misspelt: set[str] = set()
        for arg, value in kwargs.items():
            arg_path = path + (arg,)
            if arg not in info.args and not info.open:
                hint = did_you_mean(arg, [*info.args, *reserved])
                misspelt.add(hint.partition("'")[2].rpartition("'")[0])
                self.report.error(arg_path, f"{class_name} has no argument {arg!r}{hint}", key=path)
                continue
            category = argument_category(str(arg))
            if category is not None and value is not None and not isinstance(value, (int, float)):
                self.check(value, category, arg_path)
        for arg in info.required:
            if arg not in kwargs and arg not in misspelt:
                self.report.error(path, f"{class_name} needs argument {arg!r}")

    def check_lambda_function(self, function: Any, path: Path) -> None:
        """Lambda functions are names (`keras.ops.square`, a plugin's function), never code."""
        if not isinstance(function, str):
            self.report.error(path, "Lambda's function must be a name such as keras.ops.square")
            return
        if _CODE.search(function) or ":" in function:
            self.report.error(path, f"Lambda's function must name a function, not contain code: {function!r} (use keras.ops.*, keras.activations.* or a plugin function)")
            return
        for prefix, category in _LAMBDA_PREFIXES.items():
            if function.startswith(prefix):
                attr = function[len(prefix):]
                if attr not in string_names(category):
                    self.report.error(path, f"unknown function {function!r}{did_you_mean(attr, string_names(category))}")
                return
        if not self.plugins.knows(function.rsplit(".", 1)[-1]):
            self.report.error(path, f"Lambda function {function!r} is not allowed: use keras.ops.*, keras.activations.* or a function a plugin defines")
