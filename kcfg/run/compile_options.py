"""`compile:` -> the keyword arguments of `Model.compile`, with every Keras object built."""

from __future__ import annotations

from typing import Any

from kcfg.builder.objects import ObjectFactory
from kcfg.recipe.graph_checks import output_names
from kcfg.recipe.object_checks import Y_PRED_LOSS
from kcfg.recipe.schema import Compile, KerasObject, Recipe, plain


def loss_object(value: Any, factory: ObjectFactory) -> Any:
    from kcfg.run.losses import y_pred

    if value == Y_PRED_LOSS:
        return y_pred
    return factory.build(plain(value), "losses")


def compile_arguments(recipe: Recipe, factory: ObjectFactory) -> dict[str, Any]:
    """Everything `model.compile(**...)` needs; per-output mappings keep output names as keys."""
    options = recipe.compile or Compile()
    outputs = output_names(recipe.model)
    loss = options.loss
    if isinstance(loss, dict) and not isinstance(loss, KerasObject):
        built_loss: Any = {name: loss_object(value, factory) for name, value in loss.items() if value is not None}
        if len(outputs) == 1:  # a single output takes the loss itself, not a mapping
            built_loss = built_loss.get(outputs[0])
    elif isinstance(loss, list):
        built_loss = [None if value is None else loss_object(value, factory) for value in loss]
    else:
        built_loss = None if loss is None else loss_object(loss, factory)
    return {
        "optimizer": optimizer(options, factory),
        "loss": built_loss,
        "loss_weights": options.loss_weights,
        "metrics": metrics(options.metrics, factory),
        "weighted_metrics": metrics(options.weighted_metrics, factory),
        "steps_per_execution": options.steps_per_execution,
        "jit_compile": options.jit_compile,
        "run_eagerly": options.run_eagerly,
    }


def optimizer(options: Compile, factory: ObjectFactory) -> Any:
    """An optimizer name or object; `learning_rate` may be a schedule object."""
    value = plain(options.optimizer)
    return factory.build(value, "optimizers") if isinstance(value, dict) else value


def metrics(value: Any, factory: ObjectFactory) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {name: metrics(item if isinstance(item, list) else [item], factory) for name, item in value.items()}
    return [factory.build(plain(item), "metrics") for item in value]
