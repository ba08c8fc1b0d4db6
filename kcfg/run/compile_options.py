"""`compile:` -> the keyword arguments of `Model.compile`, every Keras object built on its recipe line."""

from __future__ import annotations

from typing import Any

from kcfg.builder import KerasBoundary, ObjectFactory
from kcfg.recipe import Y_PRED_LOSS, KeyPath, Recipe, output_names, plain
from kcfg.recipe.schema import Compile


class CompileObjects:
    """Builds optimizer, losses and metrics, each inside the error boundary at its own key."""

    def __init__(self, factory: ObjectFactory, boundary: KerasBoundary) -> None:
        self.factory = factory
        self.boundary = boundary

    def build(self, value: Any, category: str, path: KeyPath) -> Any:
        written = plain(value)
        with self.boundary.at(path, written if isinstance(written, dict) else ()):
            return self.factory.build(written, category, path)

    def loss(self, value: Any, path: KeyPath) -> Any:
        from kcfg.builder.keras_names import y_pred

        return y_pred if value == Y_PRED_LOSS else self.build(value, "losses", path)

    def metrics(self, value: Any, path: KeyPath) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return {name: self.metrics(item if isinstance(item, list) else [item], path + (name,)) for name, item in value.items()}
        return [self.build(item, "metrics", path + (i,)) for i, item in enumerate(value)]


def compile_arguments(recipe: Recipe, factory: ObjectFactory, boundary: KerasBoundary) -> dict[str, Any]:
    """Everything `model.compile(**...)` needs; per-output mappings keep output names as keys."""
    options = recipe.compile or Compile()
    objects = CompileObjects(factory, boundary)
    outputs = output_names(recipe.model)
    loss, at = options.loss, ("compile", "loss")
    if isinstance(loss, dict):
        built_loss: Any = {name: objects.loss(value, at + (name,)) for name, value in loss.items() if value is not None}
        if len(outputs) == 1:  # a single output takes the loss itself, not a mapping
            built_loss = built_loss.get(outputs[0])
    elif isinstance(loss, list):
        built_loss = [None if value is None else objects.loss(value, at + (i,)) for i, value in enumerate(loss)]
    else:
        built_loss = None if loss is None else objects.loss(loss, at)
    optimizer = plain(options.optimizer)
    return {
        "optimizer": objects.build(optimizer, "optimizers", ("compile", "optimizer")) if isinstance(optimizer, dict) else optimizer,
        "loss": built_loss,
        "loss_weights": options.loss_weights,
        "metrics": objects.metrics(options.metrics, ("compile", "metrics")),
        "weighted_metrics": objects.metrics(options.weighted_metrics, ("compile", "weighted_metrics")),
        "steps_per_execution": options.steps_per_execution,
        "jit_compile": options.jit_compile,
        "run_eagerly": options.run_eagerly,
    }
