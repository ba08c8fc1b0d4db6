"""Seed, runtime, plugins, build and compile: a model ready for fit, evaluate or a smoke test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from kcfg.builder import BuiltGraph, KerasBoundary, ObjectFactory, build_model, load_plugins
from kcfg.recipe import LoadedRecipe, Recipe, output_names, plain
from kcfg.run.adapt import Adaptation
from kcfg.run.cluster import Cluster
from kcfg.run.compile_options import compile_arguments
from kcfg.run.feeding import Feeder, ModelSignature
from kcfg.run.runtime import configure


@dataclass
class Prepared:
    """A compiled model and its data, ready for fit or evaluate."""

    built: BuiltGraph
    feeder: Feeder
    factory: ObjectFactory
    boundary: KerasBoundary
    runtime: dict[str, Any]  # what the manifest records: backend, processes, strategy, replicas, devices, precision
    seed: int | None  # the recipe's, or one every process of a cluster agreed on

    @property
    def data_parallel(self) -> bool:
        """Keras's DataParallel distribution: feeds are global batches that every process slices alike."""
        return bool(self.runtime.get("strategy") == "DataParallel")

    @property
    def model(self) -> Any:
        return self.built.model


def output_losses(recipe: Recipe) -> dict[str, Any]:
    """Output name -> its loss as written (for synthetic targets)."""
    outputs = output_names(recipe.model)
    loss = plain(recipe.compile.loss) if recipe.compile else None
    if isinstance(loss, dict) and "type" not in loss:
        return loss
    if isinstance(loss, list):
        return dict(zip(outputs, loss))
    return {name: loss for name in outputs}


def prepare(loaded: LoadedRecipe, *, distribute: bool = True, auto_xla: bool = True, cluster: Cluster | None = None, adaptation: Adaptation | None = None) -> Prepared:
    """Seed, runtime (joining `cluster`), build (adapting `adapt:` layers) and compile (inside the strategy's scope); the feeder for this model.

    Smoke tests of many recipes in one process pass `distribute=False` (the default
    strategy), `auto_xla=False` (`jit_compile: auto` compiles without XLA) and an
    `adaptation` on synthetic data; by default layers adapt on the recipe's data.

    Raises:
        RecipeError: a runtime the machine lacks, a plugin that fails, or an object Keras rejects, on its line.
    """
    recipe = loaded.recipe
    boundary = KerasBoundary(loaded.where)
    if recipe.seed is not None:  # before joining a cluster: Keras initializes weights alike in every process
        keras.utils.set_random_seed(recipe.seed)
    runtime = recipe.runtime if distribute else recipe.runtime.model_copy(update={"distribute": "none"})
    with boundary.at(("runtime",)):
        setup = configure(runtime, recipe.seed, cluster)
    plugins = load_plugins(recipe.plugins, loaded.file.parent, loaded.where)
    factory = ObjectFactory(plugins)
    with setup.scope():
        built = build_model(loaded, plugins, adaptation or Adaptation(loaded))
        arguments = compile_arguments(recipe, factory, boundary)
        if not auto_xla and arguments["jit_compile"] == "auto":
            arguments["jit_compile"] = False
        with boundary.at(("compile",)):
            built.model.compile(**arguments)
    signature = ModelSignature.of(built.model, output_losses(recipe))
    return Prepared(built, Feeder(signature, loaded.file.parent, setup.seed, built.model, safe=loaded.safe), factory, boundary, setup.record, setup.seed)
