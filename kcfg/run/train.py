"""`kcfg train`: build, compile, feed, fit, and keep everything in the run directory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from kcfg.builder import BuiltGraph, build_model
from kcfg.builder.keras_errors import BUILD_ERRORS, one_line
from kcfg.builder.objects import ObjectFactory
from kcfg.builder.plugins import load_plugins
from kcfg.builder.summary import summary_text
from kcfg.recipe.errors import PathProblem
from kcfg.recipe.graph_checks import output_names
from kcfg.recipe.load import LoadedRecipe
from kcfg.recipe.schema import Recipe, plain
from kcfg.recipe.yaml_io import dump_yaml
from kcfg.run.callbacks import build_callbacks
from kcfg.run.compile_options import compile_arguments
from kcfg.run.feeding import Feed, FeedError, Feeder, ModelSignature, pipeline, split_off
from kcfg.run.files import replacing, write_atomically
from kcfg.run.recorder import RunRecorder
from kcfg.run.runtime import RuntimeProblem, configure
from kcfg.run.run_dir import RESUME_WEIGHTS, RunDir

DEFAULT_BATCH_SIZE = 32


class TrainingFailed(Exception):
    """The run started but did not finish well (NaN loss): exit code 1."""


@dataclass
class Prepared:
    """A compiled model and its data, ready for fit or evaluate."""

    built: BuiltGraph
    feeder: Feeder
    factory: ObjectFactory
    runtime: dict[str, Any]  # what the manifest records: strategy, replicas, devices, precision

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


def prepare(loaded: LoadedRecipe, *, distribute: bool = True, auto_xla: bool = True) -> Prepared:
    """Seed, runtime, build and compile (inside the strategy's scope); the feeder for this model.

    Smoke tests of many recipes in one process pass `distribute=False` (the default
    strategy) and `auto_xla=False` (`jit_compile: auto` compiles without XLA).
    """
    recipe = loaded.recipe
    if recipe.seed is not None:
        keras.utils.set_random_seed(recipe.seed)
    runtime = recipe.runtime if distribute else recipe.runtime.model_copy(update={"distribute": "none"})
    try:
        setup = configure(runtime, recipe.seed)
    except RuntimeProblem as exc:
        raise exc.located(loaded.where) from exc
    plugins = load_plugins(recipe.plugins, loaded.file.parent, loaded.where)
    factory = ObjectFactory(plugins)
    with setup.strategy.scope():
        built = build_model(loaded, plugins)
        arguments = compile_arguments(recipe, factory)
        if not auto_xla and arguments["jit_compile"] == "auto":
            arguments["jit_compile"] = False
        built.model.compile(**arguments)
    signature = ModelSignature.of(built.model, output_losses(recipe))
    return Prepared(built, Feeder(signature, loaded.file.parent, recipe.seed, built.model), factory, setup.record)


def fit_feeds(loaded: LoadedRecipe, feeder: Feeder) -> tuple[Feed, Feed | None]:
    """Training and validation feeds, split and batched as the recipe says."""
    recipe = loaded.recipe
    data, fit = recipe.data, recipe.fit
    if data is None or data.train is None:
        raise FeedError(("data", "train"), "training needs data.train (a synthetic source trains on random data)").located(loaded.where)
    batch_size = fit.batch_size or DEFAULT_BATCH_SIZE
    try:
        train = feeder.feed(data.train, ("data", "train"))
        validation = feeder.feed(data.validation, ("data", "validation")) if data.validation else None
        if validation is None and fit.validation_split:
            try:
                train, validation = split_off(train, fit.validation_split)
            except FeedError as exc:
                raise FeedError(("fit", "validation_split"), str(exc)) from exc
    except FeedError as exc:
        raise exc.located(loaded.where) from exc
    train = pipeline(train, data.train, batch_size, fit.shuffle, recipe.seed)
    if validation is not None:
        validation = pipeline(validation, data.validation or data.train, fit.validation_batch_size or batch_size, False, recipe.seed)
    return train, validation


def verbosity(setting: Any) -> int:
    """`auto`: Keras's progress bar on a terminal, one line per epoch in logs."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)


def fit_arguments(recipe: Recipe, train: Feed, validation: Feed | None) -> dict[str, Any]:
    fit = recipe.fit
    arguments: dict[str, Any] = {
        **train.keras_arguments(fit.batch_size or DEFAULT_BATCH_SIZE),
        "epochs": fit.epochs, "steps_per_epoch": fit.steps_per_epoch,
        "validation_steps": fit.validation_steps, "validation_freq": fit.validation_freq,
        "class_weight": fit.class_weight, "verbose": verbosity(fit.verbose),
        # streams shuffle themselves (images: shuffle_buffer); Keras would only warn
        "shuffle": fit.shuffle and not train.is_stream,
    }
    if validation is not None:
        arguments["validation_data"] = validation.x if validation.is_stream else tuple(p for p in (validation.x, validation.y, validation.sample_weight) if p is not None)
        if not validation.is_stream:
            arguments["validation_batch_size"] = fit.validation_batch_size
    return arguments


def save_model(model: Any, run: RunDir) -> None:
    with replacing(run.path / "model.keras") as tmp:
        model.save(tmp)


def train(loaded: LoadedRecipe, open_run: Callable[[], RunDir], *, resume: bool) -> tuple[RunDir, dict[str, Any]]:
    """Fit the recipe's model; returns the run and the metrics written to its metrics.json.

    `open_run` creates (or reopens) the run directory once the model is built and the
    data checked, so a recipe that fails before training leaves no run behind.

    Raises:
        RecipeError: the model or the data does not fit the recipe (before training starts).
        TrainingFailed: the loss became NaN or infinite.
    """
    recipe = loaded.recipe
    prepared = prepare(loaded)
    for note in prepared.built.notes:
        print(note, file=sys.stderr)
    model = prepared.model
    train_feed, validation = fit_feeds(loaded, prepared.feeder)
    run = open_run()
    batch_size = recipe.fit.batch_size or DEFAULT_BATCH_SIZE
    replicas = prepared.runtime["replicas"]
    run.update_manifest(runtime={**prepared.runtime, "global_batch_size": batch_size, "per_replica_batch_size": batch_size / replicas})
    write_atomically(run.path / "recipe.yaml", dump_yaml(loaded.data))
    write_atomically(run.path / "summary.txt", summary_text(prepared.built))
    history = run.history()
    initial_epoch = recipe.fit.initial_epoch
    if resume:
        completed = int(run.manifest().get("epochs_completed", 0))
        if completed and (run.path / RESUME_WEIGHTS).is_file():
            model.optimizer.build(model.trainable_variables)
            model.load_weights(run.path / RESUME_WEIGHTS)
            initial_epoch = completed
        history = [row for row in history if row["epoch"] < initial_epoch]
    recorder = RunRecorder(run, history)
    callbacks = [*build_callbacks(recipe, prepared.factory), recorder]
    metrics: dict[str, Any] = {}
    if initial_epoch < recipe.fit.epochs:
        try:
            model.fit(**fit_arguments(recipe, train_feed, validation), initial_epoch=initial_epoch, callbacks=callbacks)
        except BUILD_ERRORS as exc:  # Keras checks targets against outputs and losses in its first step
            run.update_manifest(status="failed", failure=one_line(exc))
            path = ("compile", "loss") if "target" in str(exc) else ("fit",)
            raise PathProblem(path, f"Keras rejected the first training step: {one_line(exc)}").located(loaded.where) from exc
    if recorder.bad_loss is not None:
        run.update_manifest(status="failed", failure=recorder.bad_loss)
        raise TrainingFailed(f"{recorder.bad_loss}; the last good epoch is kept in {run.path}")
    save_model(model, run)
    last = recorder.rows[-1] if recorder.rows else {}
    metrics["train"] = {k: v for k, v in last.items() if k != "epoch" and not k.startswith("val_")}
    metrics["validation"] = {k[4:]: v for k, v in last.items() if k.startswith("val_")}
    if recipe.data is not None and recipe.data.test is not None:
        metrics["test"] = evaluate_on(loaded, prepared.feeder, model, recipe.data.test)
    run.update_metrics(**metrics)
    run.update_manifest(status="completed")
    return run, metrics


def evaluate_on(loaded: LoadedRecipe, feeder: Feeder, model: Any, source: Any) -> dict[str, float]:
    """Metrics of `model` on one data source, by Keras's names."""
    recipe = loaded.recipe
    try:
        feed = feeder.feed(source, ("data", "test"))
    except FeedError as exc:
        raise exc.located(loaded.where) from exc
    batch_size = recipe.evaluate.batch_size or recipe.fit.batch_size or DEFAULT_BATCH_SIZE
    feed = pipeline(feed, source, batch_size, False, recipe.seed)
    metrics = model.evaluate(**feed.keras_arguments(batch_size), steps=recipe.evaluate.steps, verbose=0, return_dict=True)
    return {k: float(v) for k, v in metrics.items()}
