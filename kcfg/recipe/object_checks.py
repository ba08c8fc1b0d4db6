"""Checks of Keras objects named in a recipe: the grammar's visitor that reports instead of building."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kcfg.recipe.catalog import ClassInfo, class_names, keras_class, string_names
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import CLASS_ONLY, FUNCTIONS, KERAS_MODULES, LAMBDA_PREFIXES, NOUNS, Y_PRED_LOSS, walk
from kcfg.recipe.plugin_scan import PluginNames
from kcfg.recipe.report import Report
from kcfg.recipe.suggest import did_you_mean
from kcfg.recipe.yaml_traps import string_trap, tuple_tails

_CODE = re.compile(r"lambda\b|[()\[\]{}=+*/%<>;\s-]")


def how_to_provide(category: str) -> str:
    """The end of every 'unknown' message: where a name of this category may come from."""
    plugin = "or define one in a module listed under `plugins:`"
    if category == FUNCTIONS:
        return "define it in a module listed under `plugins:`"
    module = KERAS_MODULES[category][0] if category in KERAS_MODULES else f"keras.{category}"
    if category == "layers":
        return f"use a {module} class, a submodel, {plugin}"
    return f"use a {module} {'class' if category in CLASS_ONLY else 'name'}, {plugin}"


def unknown(what: str, name: str, known: Iterable[str], category: str) -> str:
    """`unknown loss 'msq' (did you mean 'mse'?)`, or, with nothing close, where such names come from."""
    hint = did_you_mean(name, known)
    return f"{what} {name!r}{hint}" if hint else f"{what} {name!r}; {how_to_provide(category)}"


def _function_hint(name: str, category: str) -> str:
    """How to use a plugin function where a class was written."""
    if category == "layers":
        return f"wrap it in a layer with {{type: Lambda, function: {name}}}"
    return f"name it as it is ({name}), or write {{factory: {name}, ...}} to call it with arguments and use what it returns"


class ObjectChecker:
    """Checks `name` strings and `{type: ..., **kwargs}` mappings against plugins and the Keras catalog."""

    def __init__(self, report: Report, plugins: PluginNames) -> None:
        self.report = report
        self.plugins = plugins

    def check(self, value: Any, category: str, path: KeyPath) -> None:
        """A Keras object given by name or `{type: ...}` at `path`."""
        walk(value, category, path, self)

    # ---------------------------------------------------------------- the grammar's visitor

    def named(self, name: str, category: str, path: KeyPath) -> Any:
        """Checks return what they checked, so an enclosing `made` sees the values as written."""
        if (category == "losses" and name == Y_PRED_LOSS) or self.plugins.knows(name):
            return name
        if category == FUNCTIONS:
            self.report.error(path, unknown("unknown plugin function", name, self.plugins.functions, category))
        elif category in CLASS_ONLY:
            self.class_info(name, category, path)
        elif name not in string_names(category):
            self.report.error(path, unknown(f"unknown {NOUNS[category]}", name, string_names(category), category))
        return name

    def made(self, class_name: str, arguments: dict[str, Any], category: str, path: KeyPath) -> Any:
        if arguments and class_name in self.plugins.functions and class_name not in self.plugins.classes and category != "layers":
            self.report.error(path + ("type",), f"{class_name!r} is a plugin function, not a class: write `factory: {class_name}` instead of `type: {class_name}` to call it with these arguments and use what it returns", key=path)
            return {"type": class_name, **arguments}
        info = self.class_info(class_name, category, path + ("type",))
        if info is not None:
            self.check_arguments(class_name, info, arguments, path)
        if category == "layers" and class_name == "Lambda" and "function" in arguments:  # at any depth (TimeDistributed(Lambda))
            self.check_function(arguments["function"], path + ("function",))
        return {"type": class_name, **arguments}

    def factory(self, function: str, arguments: dict[str, Any], category: str, path: KeyPath) -> Any:
        if "type" in arguments:
            self.report.error(path + ("type",), "give `type:` (a class to construct) or `factory:` (a plugin function to call), not both", key=path)
        if function in self.plugins.functions:
            info = self.plugins.signatures.get(function)
            if info is not None:
                self.check_arguments(f"{function}()", info, {k: v for k, v in arguments.items() if k != "type"}, path)
        elif function in self.plugins.classes:
            self.report.error(path + ("factory",), f"{function!r} is a class: write {{type: {function}, ...}} to construct it", key=path)
        elif not self.plugins.unreadable:
            self.report.error(path + ("factory",), unknown("unknown factory function", function, self.plugins.functions, FUNCTIONS), key=path)
        return {"factory": function, **arguments}

    def plain(self, value: Any, path: KeyPath) -> Any:
        """Plain values are Keras's to judge, except Python written where YAML reads text, and Keras's
        serialized form (`{class_name, module, config}`), whose `module` Keras would import."""
        if isinstance(value, str):
            trap = string_trap(value)
            if trap:
                self.report.error(path, trap)
        elif isinstance(value, dict):
            if "class_name" in value and "type" not in value:
                self.report.error(path, f"write Keras objects as {{type: {value['class_name']}, ...}}; serialized configs ({{class_name, module, config}}) are not recipe syntax")
                return value
            for key, item in value.items():
                self.plain(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.plain(item, path + (i,))
        return value


    # ---------------------------------------------------------------- classes and their arguments

    def class_info(self, name: str, category: str, path: KeyPath) -> ClassInfo | None:
        """The constructor of a plugin class, else of a Keras class; reports unknown names.

        Plugins come first, as they do when the builder looks the class up.
        """
        info = self.plugins.classes.get(name) or keras_class(category, name)
        if info is None and name in self.plugins.functions:
            self.report.error(path, f"{name!r} is a plugin function, not a class: {_function_hint(name, category)}", key=path[:-1] if path[-1] == "type" else path)
        elif info is None and not self.plugins.knows(name):
            known = [*class_names(category), *self.plugins.classes]
            self.report.error(path, unknown(f"unknown {NOUNS[category]}", name, known, category), key=path[:-1] if path[-1] == "type" else path)
        return info

    def check_arguments(self, class_name: str, info: ClassInfo, kwargs: dict[str, Any], path: KeyPath, *, reserved: tuple[str, ...] = ()) -> None:
        """Every keyword must be a constructor argument; required ones must be present."""
        misspelt: set[str] = set()
        tails = tuple_tails(kwargs)
        for arg in kwargs:
            if arg in tails:
                continue  # the rest of `(3, 3)`, reported on its first part
            if arg not in info.args and not info.open:
                hint = did_you_mean(arg, [*info.args, *reserved])
                misspelt.add(hint.partition("'")[2].rpartition("'")[0])
                self.report.error(path + (arg,), f"{class_name} has no argument {arg!r}{hint}", key=path)
        for arg in info.required:
            if arg not in kwargs and arg not in misspelt:
                self.report.error(path, f"{class_name} needs argument {arg!r}")

    def check_function(self, function: Any, path: KeyPath, owner: str = "Lambda") -> None:
        """A `Lambda`'s or an `op:` entry's function: a name (`keras.ops.square`, a plugin's function), never code."""
        if not isinstance(function, str):
            self.report.error(path, f"{owner}'s function must be a name such as keras.ops.square")
            return
        if _CODE.search(function) or ":" in function:
            self.report.error(path, f"{owner}'s function must name a function, not contain code: {function!r} (use keras.ops.*, keras.activations.* or a plugin function)")
            return
        for prefix, section in LAMBDA_PREFIXES.items():
            if function.startswith(prefix):
                attr = function[len(prefix):]
                if attr not in string_names(section):
                    self.report.error(path, f"unknown function {function!r}{did_you_mean(attr, string_names(section))}")
                return
        if not self.plugins.knows(function.rsplit(".", 1)[-1]):
            self.report.error(path, f"{owner} function {function!r} is not allowed: use keras.ops.*, keras.activations.* or a function a plugin defines")
