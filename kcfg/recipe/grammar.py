"""The grammar of Keras objects in a recipe, written once and walked by the checker and the factory.

Wherever Keras takes an object (initializer, regularizer, optimizer, loss, ...):
a string names one; `{type: Class, ...}` makes one from its arguments, where each
argument whose name takes a Keras object (`*_initializer`, `activation`, `layer`, ...)
is itself an object of that category; `{factory: function, ...}` is what a plugin
function returns when called with its arguments (`loss(margin=1)` in a script); a list
holds several; anything else is a plain value. `kcfg validate` walks it with `ObjectChecker` (no Keras), the builder with
`ObjectFactory`: both are visitors of `walk`, so the two cannot disagree on the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

from kcfg.recipe.errors import KeyPath

#: Catalog category -> (public Keras module, base class its classes derive from).
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
#: Categories whose strings name classes (`Bidirectional(layer: LSTM)`), not `keras.*.get` identifiers.
CLASS_ONLY = ("layers", "callbacks", "schedules")
#: Arguments that take a plain function (LearningRateScheduler's `schedule`): plugin functions by name.
FUNCTIONS = "functions"
#: Loss that returns the model's own output (models that compute their loss in the graph).
Y_PRED_LOSS = "y_pred"
#: Functions a `Lambda` may name, by prefix -> catalog section (and `keras.<section>` module).
LAMBDA_PREFIXES = {"keras.ops.": "ops", "keras.activations.": "activations"}

#: Constructor arguments whose values are Keras objects, by name pattern -> category.
_ARGUMENT_CATEGORIES = [
    (re.compile(r"^(recurrent_)?activation$"), "activations"),
    (re.compile(r"^(.*_)?initializer$"), "initializers"),
    (re.compile(r"^(.*_)?regularizer$"), "regularizers"),
    (re.compile(r"^(.*_)?constraint$"), "constraints"),
    (re.compile(r"^(layer|backward_layer|cell)$"), "layers"),
    (re.compile(r"^learning_rate$"), "schedules"),
    (re.compile(r"^schedule$"), FUNCTIONS),
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def argument_category(argument: str) -> str | None:
    """The category of a constructor argument that takes a Keras object, if any."""
    for pattern, category in _ARGUMENT_CATEGORIES:
        if pattern.match(argument):
            return category
    return None


def class_category(category: str) -> str:
    """Where `{type: ...}` looks in a category: an activation given as a class is a layer (`LeakyReLU`)."""
    return "layers" if category == "activations" else category


class ObjectVisitor(Protocol[T_co]):
    """What `walk` calls for each node; the checker returns the values it checked, the factory Keras objects."""

    def named(self, name: str, category: str, path: KeyPath) -> T_co: ...

    def made(self, class_name: str, arguments: dict[str, Any], category: str, path: KeyPath) -> T_co: ...

    def factory(self, function: str, arguments: dict[str, Any], category: str, path: KeyPath) -> T_co: ...

    def plain(self, value: Any, path: KeyPath) -> T_co: ...


def walk(value: Any, category: str, path: KeyPath, visitor: ObjectVisitor[T]) -> Any:
    """Visit one recipe value written where Keras takes an object of `category`."""
    if isinstance(value, str):
        return visitor.named(value, category, path)
    if isinstance(value, dict) and isinstance(value.get("factory"), str):
        arguments = walk_arguments({k: v for k, v in value.items() if k != "factory"}, path, visitor)
        return visitor.factory(value["factory"], arguments, category, path)
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        arguments = walk_arguments({k: v for k, v in value.items() if k != "type"}, path, visitor)
        return visitor.made(value["type"], arguments, class_category(category), path)
    if isinstance(value, list):
        return [walk(item, category, path + (i,), visitor) for i, item in enumerate(value)]
    return visitor.plain(value, path)


def walk_arguments(arguments: dict[str, Any], path: KeyPath, visitor: ObjectVisitor[T]) -> dict[str, Any]:
    """Visit constructor arguments: those that take Keras objects by the grammar, the rest as plain values."""
    visited: dict[str, Any] = {}
    for key, value in arguments.items():
        category = argument_category(str(key))
        if category is None or value is None or isinstance(value, (bool, int, float)):
            visited[key] = visitor.plain(value, path + (key,))
        else:
            visited[key] = walk(value, category, path + (key,), visitor)
    return visited


def factory_calls(value: Any) -> Iterator[dict[str, Any]]:
    """Every `{factory: ...}` mapping in a written value, at any depth."""
    if isinstance(value, dict):
        if isinstance(value.get("factory"), str):
            yield value
        for item in value.values():
            yield from factory_calls(item)
    elif isinstance(value, list):
        for item in value:
            yield from factory_calls(item)
