"""The names kcfg registers with Keras, so a run's `model.keras` loads in plain Keras.

Keras saves a `Lambda`'s function by its bare name (`abs` for `keras.ops.abs`) and looks
bare names up only in `keras.activations`, `keras.losses` and the like, never in
`keras.ops`, so `keras.saving.load_model` fails with "Could not locate function 'abs'".
kcfg builds every `keras.ops` Lambda with a registered stand-in that calls the Keras
function and is saved as `kcfg>ops.abs`, and registers its `y_pred` loss as `kcfg>y_pred`.
Importing this module registers them all, so this is enough to load a kcfg model:

    import keras
    import kcfg.builder.keras_names  # noqa: F401 - kcfg>y_pred and kcfg>ops.*
    import my_plugins                 # the recipe's plugins, if it has any
    model = keras.saving.load_model("runs/siamese/20261123-120000/model.keras")
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import keras

PACKAGE = "kcfg"
OPS_PREFIX = "ops."


@keras.saving.register_keras_serializable(package=PACKAGE)
def y_pred(y_true: Any, y_pred: Any) -> Any:
    """The model's output is the loss (YOLO-style models); the target is ignored."""
    del y_true
    return y_pred


def _registered_op(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A stand-in for `keras.ops.<name>` that Keras saves as `kcfg>ops.<name>` (the Keras function itself stays unregistered)."""

    @functools.wraps(function)
    def op(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return keras.saving.register_keras_serializable(package=PACKAGE, name=OPS_PREFIX + name)(op)


#: `keras.ops` function name -> its registered stand-in, for every public function.
OPS: dict[str, Callable[..., Any]] = {
    name: _registered_op(name, getattr(keras.ops, name)) for name in dir(keras.ops) if not name.startswith("_") and callable(getattr(keras.ops, name)) and not isinstance(getattr(keras.ops, name), type)
}


def recipe_function(registered_name: str) -> str | None:
    """A name kcfg registered, as a saved model names it, -> as a recipe writes it:
    `kcfg>ops.abs` -> `keras.ops.abs`, `kcfg>y_pred` -> `y_pred`; None for other names."""
    prefix = f"{PACKAGE}>{OPS_PREFIX}"
    if registered_name.startswith(prefix):
        return f"keras.ops.{registered_name[len(prefix):]}"
    return y_pred.__name__ if registered_name == f"{PACKAGE}>{y_pred.__name__}" else None
