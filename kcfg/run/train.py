"""Training one prepared recipe into its run directory: feeds, fit, the resume point, the final files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import keras

from kcfg.builder import KerasBoundary, summary_text
from kcfg.files import replacing, write_atomically
from kcfg.recipe import LoadedRecipe, Recipe, dump_yaml
from kcfg.run import resume_point
from kcfg.run.callbacks import build_callbacks
from kcfg.run.cluster import Cluster
from kcfg.run.distributed import collective_failures, leave, share_resume_point
from kcfg.run.feeding import Feed, Feeder, FeedError, pipeline, split_off
from kcfg.run.global_batches import global_batches
from kcfg.run.heap import long_lived_frozen
from kcfg.run.interrupts import InterruptWatch
from kcfg.run.prepare import prepare
from kcfg.run.recorder import RunRecorder
from kcfg.run.run_dir import RunDir
from kcfg.run.saved_model import load_saved_model
from kcfg.run.streams import streaming

DEFAULT_BATCH_SIZE = 32


class TrainingFailed(Exception):
    """The run started but did not finish well (NaN loss): exit code 1."""


def fit_feeds(loaded: LoadedRecipe, feeder: Feeder, *, data_parallel: bool = False) -> tuple[Feed, Feed | None]:
    """Training and validation feeds, split and batched as the recipe says (`data_parallel`: full global batches, repeated).

    Raises:
        FeedError: no training data, or data that does not fit the model (at its recipe path).
    """
    recipe = loaded.recipe
    data, fit = recipe.data, recipe.fit
    if data is None or data.train is None:
        raise FeedError(("data", "train"), "training needs data.train (a synthetic source trains on random data)")
    batch_size = fit.batch_size or DEFAULT_BATCH_SIZE
    train = feeder.feed(data.train, ("data", "train"))
    validation = feeder.feed(data.validation, ("data", "validation")) if data.validation else None
    if validation is None and fit.validation_split:
        try:
            train, validation = split_off(train, fit.validation_split)
        except FeedError as exc:
            raise FeedError(("fit", "validation_split"), str(exc)) from exc
    validation_source, validation_batch = data.validation or data.train, fit.validation_batch_size or batch_size
    # the part validation_split holds out is not preprocessed: augmentation is for training
    preprocess = feeder.preprocess(data.train, ("data", "train"))
    validation_preprocess = feeder.preprocess(data.validation, ("data", "validation")) if data.validation else None
    if data_parallel:
        train = global_batches(train, data.train, batch_size, fit.shuffle, feeder.seed, ("data", "train"), fit.steps_per_epoch, preprocess)
        if validation is not None:
            validation = global_batches(validation, validation_source, validation_batch, False, feeder.seed, ("data", "validation"), fit.validation_steps, validation_preprocess)
        return train, validation
    train = pipeline(train, data.train, batch_size, fit.shuffle, feeder.seed, preprocess)
    if validation is not None:
        validation = pipeline(validation, validation_source, validation_batch, False, feeder.seed, validation_preprocess)
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
        "epochs": fit.epochs, "steps_per_epoch": fit.steps_per_epoch or train.steps,
        "validation_steps": fit.validation_steps or (validation.steps if validation else None), "validation_freq": fit.validation_freq,
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


def train(loaded: LoadedRecipe, open_run: Callable[[], RunDir], *, resume: bool, notes: Callable[[list[Any]], None], cluster: Cluster | None = None) -> tuple[RunDir, dict[str, Any]]:
    """Fit the recipe's model; returns the run and the metrics written to its metrics.json.

    `open_run` creates (or reopens) the run directory once the model is built and the
    data checked, so a recipe that fails before training leaves no run behind; `notes`
    receives the builder's warnings before training starts. With a `cluster`, this is one
    data_parallel worker: every step that needs all processes runs in each of them.

    Raises:
        RecipeError: the model, the data or a training step does not fit the recipe (on its line).
        TrainingFailed: the loss became NaN or infinite.
        PeerLost: another process of the cluster stopped.
    """
    recipe = loaded.recipe
    prepared = prepare(loaded, cluster=cluster)
    notes(prepared.built.notes)
    boundary, model = prepared.boundary, prepared.model
    with boundary.at(("data",)):
        train_feed, validation = fit_feeds(loaded, prepared.feeder, data_parallel=prepared.data_parallel)
    run = open_run()
    batch_size = recipe.fit.batch_size or DEFAULT_BATCH_SIZE
    processes = prepared.runtime["processes"]
    run.update_manifest(runtime={
        **prepared.runtime, "global_batch_size": batch_size,
        "per_process_batch_size": batch_size // processes, "per_replica_batch_size": batch_size / prepared.runtime["replicas"],
    })
    write_atomically(run.path / "recipe.yaml", dump_yaml(loaded.data))
    write_atomically(run.path / "summary.txt", summary_text(prepared.built))
    with collective_failures(cluster):
        if resume and cluster is not None:
            share_resume_point(run, cluster)
        initial_epoch = (resume_point.load(run, model) or recipe.fit.initial_epoch) if resume else recipe.fit.initial_epoch
        interrupts = InterruptWatch()
        recorder = RunRecorder(run, [row for row in run.history() if row["epoch"] < initial_epoch], interrupts)
        callbacks = [*build_callbacks(recipe, prepared.factory, boundary, resumed=resume), recorder]
        arguments = fit_arguments(recipe, train_feed, validation)
        if cluster is not None and not cluster.is_chief:
            arguments["verbose"] = 0  # process 0 shows the progress
        if initial_epoch < recipe.fit.epochs:
            with interrupts, boundary.step("the first training step", ("data", "train"), ("fit",)), collective_failures(cluster), streaming(train_feed.faults, validation.faults if validation else None), long_lived_frozen():
                model.fit(**arguments, initial_epoch=initial_epoch, callbacks=callbacks)
            interrupts.check()
        if recorder.bad_loss is not None:
            raise TrainingFailed(f"{recorder.bad_loss}; the last good epoch is kept in {run.path}")
        save_model(model, run)  # collective under a cluster: every process saves (the others into their temporary run)
    if cluster is not None:  # process 0 goes on alone, with the saved model
        leave()
        keras.distribution.set_distribution(None)
        model = load_saved_model(run.path / "model.keras", recipe, prepared.factory)
    last = recorder.rows[-1] if recorder.rows else {}
    metrics: dict[str, Any] = {
        "train": {k: v for k, v in last.items() if k != "epoch" and not k.startswith("val_")},
        "validation": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
    }
    if recipe.data is not None and recipe.data.test is not None and (cluster is None or cluster.is_chief):
        metrics["test"] = evaluate_on(loaded, model, prepared.feeder, boundary, recipe.data.test)
    run.update_metrics(**metrics)
    return run, metrics


def evaluate_on(loaded: LoadedRecipe, model: Any, feeder: Feeder, boundary: KerasBoundary, source: Any) -> dict[str, float]:
    """Metrics of `model` on one data source, by Keras's names."""
    recipe = loaded.recipe
    with boundary.at(("data", "test")):
        feed = feeder.feed(source, ("data", "test"))
    batch_size = recipe.evaluate.batch_size or recipe.fit.batch_size or DEFAULT_BATCH_SIZE
    with boundary.at(("data", "test")):
        feed = pipeline(feed, source, batch_size, False, recipe.seed, feeder.preprocess(source, ("data", "test")))
    with boundary.step("the evaluation step", ("data", "test"), ("evaluate",)), streaming(feed.faults), long_lived_frozen():
        metrics = model.evaluate(**feed.keras_arguments(batch_size), steps=recipe.evaluate.steps, verbose=0, return_dict=True)
    return {k: float(v) for k, v in metrics.items()}
