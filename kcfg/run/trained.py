"""Using a finished run: evaluate its model on test data, predict from files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from kcfg.builder import KerasBoundary, ObjectFactory, load_plugins
from kcfg.files import replacing, write_atomically
from kcfg.recipe import LoadedRecipe, Location, load_recipe
from kcfg.recipe.schema import CsvSource, NpzSource
from kcfg.run.feeding import Feeder, FeedError, ModelSignature, pipeline
from kcfg.run.heap import long_lived_frozen
from kcfg.run.prepare import output_losses
from kcfg.run.run_dir import RunDir, RunDirError, runs_of
from kcfg.run.run_recipe import recipe_for_run
from kcfg.run.saved_model import load_saved_model
from kcfg.run.streams import streaming
from kcfg.run.train import evaluate_on

#: Samples predicted at once from a streamed file (Keras's own default for arrays).
PREDICT_BATCH = 32


@dataclass
class TrainedRun:
    """A run directory with its recipe (as it was trained) and its saved model."""

    run: RunDir
    loaded: LoadedRecipe
    model: Any

    @classmethod
    def open(cls, run: RunDir, recipe: Path | None = None, *, safe: bool = False) -> TrainedRun:
        """The run's saved model and recipe; `recipe` is the file the user named (it may list plugins)."""
        manifest = run.manifest()
        if not (run.path / "model.keras").is_file():
            raise RunDirError(f"{run.path} has no model.keras (status: {manifest.get('status', 'unknown')}); finish it with kcfg train --resume")
        loaded = recipe_for_run(run, recipe, safe=safe)
        factory = ObjectFactory(load_plugins(loaded.recipe.plugins, loaded.file.parent, loaded.where))
        return cls(run, loaded, load_saved_model(run.path / "model.keras", loaded.recipe, factory))

    def feeder(self) -> Feeder:
        signature = ModelSignature.of(self.model, output_losses(self.loaded.recipe))
        return Feeder(signature, self.loaded.file.parent, self.loaded.recipe.seed, self.model, safe=self.loaded.safe)

    def evaluate(self, data_file: Path | None = None) -> dict[str, float]:
        """Metrics on data.test, or on `data_file` (.npz or .csv) read with data.test's mapping."""
        recipe = self.loaded.recipe
        source = recipe.data.test if recipe.data else None
        if data_file is not None:
            source = file_source(data_file, source)
        if source is None:
            raise FeedError(("data", "test"), "no test data: give data.test in the recipe or --data FILE")
        # problems with a file from the command line are reported at that file
        boundary = KerasBoundary(self.loaded.where if data_file is None else lambda path: Location(str(data_file)))
        metrics = evaluate_on(self.loaded, self.model, self.feeder(), boundary, source)
        self.run.update_metrics(test=metrics)
        return metrics

    def predict(self, input_file: Path, output_file: Path) -> int:
        """Predictions for the inputs in an .npz or .csv file, written as .npz or .csv; returns the count."""
        boundary = KerasBoundary(lambda path: Location(str(input_file)))
        source = file_source(input_file, None)
        with boundary.at(("input",)):
            feed = pipeline(self.feeder().feed(source, ("input",), with_targets=False), source, PREDICT_BATCH, False, None)
        with boundary.step("the prediction step", ("input",), ("input",)), streaming(feed.faults), long_lived_frozen():
            predictions = self.model.predict(feed.x, verbose=0)
        names = self.model.output_names
        outputs = dict(zip(names, predictions if len(names) > 1 else [predictions]))
        write_predictions(outputs, output_file)
        return len(next(iter(outputs.values())))


def file_source(path: Path, like: Any) -> NpzSource | CsvSource:
    """An npz or csv source for a file given on the command line, keeping `like`'s mapping."""
    mapping = {k: getattr(like, k) for k in ("x", "y", "sample_weight") if like is not None and getattr(like, k) is not None}
    suffix = path.suffix.lower()
    if suffix in (".npz", ".npy"):
        return NpzSource(source="npz", path=str(path.resolve()), **mapping)
    if suffix == ".csv":
        return CsvSource(source="csv", path=str(path.resolve()), **mapping)
    raise FeedError((), f"{path}: give an .npz, .npy or .csv file")


def write_predictions(outputs: dict[str, np.ndarray], path: Path) -> None:
    """npz: one array per output name; csv: one column per output value (`name` or `name_i`)."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with replacing(path) as tmp:
            np.savez(tmp, **cast(dict[str, Any], outputs))
        return
    if suffix != ".csv":
        raise FeedError((), f"{path}: predictions are written as .npz or .csv")
    columns: dict[str, np.ndarray] = {}
    for name, values in outputs.items():
        flat = values.reshape(len(values), -1)
        for i in range(flat.shape[1]):
            columns[name if flat.shape[1] == 1 else f"{name}_{i}"] = flat[:, i]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values()))
    write_atomically(path, out.getvalue())


def find_run(target: Path, *, safe: bool = False) -> RunDir:
    """A run directory as given, or the newest trained run of a recipe file."""
    if target.is_dir():
        return RunDir(target)
    template = load_recipe(target, safe=safe).run_dir()
    trained = [run for run in runs_of(template) if (run.path / "model.keras").is_file()]
    if not trained:
        raise RunDirError(f"no trained run of {target} matches {template}; run kcfg train {target} first")
    return trained[-1]
