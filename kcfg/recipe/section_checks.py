"""Cross-section checks: compile, fit, data and callbacks against the model's inputs and outputs; `adapt:` against the data."""

from __future__ import annotations

import re
from typing import Any

from kcfg.recipe.adapt_checks import check_adapt
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import factory_calls
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.plan import output_names
from kcfg.recipe.schema import CsvSource, KerasSource, Recipe, plain
from kcfg.recipe.source_checks import check_source
from kcfg.recipe.suggest import did_you_mean


class SectionChecker:
    """Checks that need the whole recipe: output names in compile, data mappings, callbacks."""

    def __init__(self, objects: ObjectChecker, recipe: Recipe) -> None:
        self.objects = objects
        self.report = objects.report
        self.recipe = recipe
        self.outputs = output_names(recipe.model)
        self.inputs = list(recipe.model.inputs)

    def check_all(self) -> None:
        check_adapt(self.report, self.recipe)
        self.check_compile()
        self.check_fit()
        self.check_data()
        for i, callback in enumerate(self.recipe.callbacks):
            self.objects.check(plain(callback), "callbacks", ("callbacks", i))
            self.check_callback(plain(callback), ("callbacks", i))

    def check_output_keys(self, mapping: dict[str, Any], path: KeyPath) -> None:
        for key in mapping:
            if key not in self.outputs:
                self.report.error(path + (key,), f"{key!r} is not a model output (outputs: {', '.join(self.outputs)}){did_you_mean(key, self.outputs)}")

    def check_output_list(self, values: list[Any], path: KeyPath, what: str) -> None:
        if len(values) != len(self.outputs):
            self.report.error(path, f"{what} has {len(values)} entries but the model has {len(self.outputs)} output(s): {', '.join(self.outputs)}")

    def check_compile(self) -> None:
        compile_ = self.recipe.compile
        if compile_ is None:
            return
        self.objects.check(plain(compile_.optimizer), "optimizers", ("compile", "optimizer"))
        loss = compile_.loss
        if isinstance(loss, dict):
            self.check_output_keys(loss, ("compile", "loss"))
            for key, value in loss.items():
                if value is not None:
                    self.objects.check(plain(value), "losses", ("compile", "loss", key))
        elif isinstance(loss, list):
            self.check_output_list(loss, ("compile", "loss"), "loss")
            for i, value in enumerate(loss):
                if value is not None:
                    self.objects.check(plain(value), "losses", ("compile", "loss", i))
        elif loss is not None:
            self.objects.check(plain(loss), "losses", ("compile", "loss"))
        weights = compile_.loss_weights
        if isinstance(weights, dict):
            self.check_output_keys(weights, ("compile", "loss_weights"))
        elif isinstance(weights, list):
            self.check_output_list(weights, ("compile", "loss_weights"), "loss_weights")
        for section in ("metrics", "weighted_metrics"):
            self.check_metrics(getattr(compile_, section), ("compile", section))

    def check_metrics(self, metrics: Any, path: KeyPath) -> None:
        if isinstance(metrics, dict):
            self.check_output_keys(metrics, path)
            for key, value in metrics.items():
                items = value if isinstance(value, list) else [value]
                for i, metric in enumerate(items):
                    self.objects.check(plain(metric), "metrics", path + (key, i) if isinstance(value, list) else path + (key,))
        elif isinstance(metrics, list):
            for i, metric in enumerate(metrics):
                self.objects.check(plain(metric), "metrics", path + (i,))

    def check_fit(self) -> None:
        fit = self.recipe.fit
        if fit.class_weight is not None and len(self.outputs) > 1:
            self.report.error(("fit", "class_weight"), "class_weight works for single-output models only; give data.train.sample_weight per output instead")
        if fit.initial_epoch >= fit.epochs:
            self.report.error(("fit", "initial_epoch"), f"initial_epoch ({fit.initial_epoch}) must be below epochs ({fit.epochs}): epochs is the index of the last epoch, not a count")
        data = self.recipe.data
        if fit.validation_split and data is not None and data.validation is not None:
            self.report.warn(("fit", "validation_split"), "data.validation is given, so validation_split is ignored (as in Keras)")

    def check_data(self) -> None:
        data = self.recipe.data
        if data is None:
            return
        for split in ("train", "validation", "test"):
            source = getattr(data, split)
            if source is None:
                continue
            self.check_source_options(source, ("data", split))
            for key, names in (("x", self.inputs), ("y", self.outputs), ("sample_weight", self.outputs)):
                mapping = getattr(source, key)
                if isinstance(mapping, dict):
                    for name in mapping:
                        if name not in names:
                            kind = "input" if key == "x" else "output"
                            self.report.error(("data", split, key, name), f"{name!r} is not a model {kind} ({', '.join(names)}){did_you_mean(name, names)}")

    def check_source_options(self, source: Any, path: KeyPath) -> None:
        """Options that only some sources (or datasets) take."""
        if isinstance(source, KerasSource):
            takes = KerasSource.loader_arguments.get(source.name, ())
            for name in source.loader_kwargs():
                if name not in takes:
                    what = f"takes only {', '.join(takes)}" if takes else "takes no loader arguments"
                    self.report.error(path + (name,), f"keras.datasets.{source.name}.load_data {what}", key=path)
        if isinstance(source, CsvSource) and source.header and source.columns is not None:
            self.report.error(path + ("columns",), "columns names the columns of a file without a header row: add `header: false`, or remove columns", key=path)
        check_source(self.report, source, path, self.recipe)

    def logged_names(self) -> set[str]:
        """Names Keras logs for this recipe's losses and metrics (without `val_`)."""
        compile_ = self.recipe.compile
        multi = len(self.outputs) > 1
        names = {"loss", *(f"{o}_loss" for o in self.outputs if multi)}
        for section in ("metrics", "weighted_metrics"):
            metrics = getattr(compile_, section) if compile_ else None
            per_output = metrics if isinstance(metrics, dict) else {o: metrics or [] for o in self.outputs}
            for output, items in per_output.items():
                for metric in items if isinstance(items, list) else [items]:
                    name = metric_name(plain(metric))
                    names.add(f"{output}_{name}" if multi else name)
        return names

    def has_factory_metrics(self) -> bool:
        """Whether a metric is made by a `factory:` (logged under a name only its function knows)."""
        compile_ = self.recipe.compile
        return compile_ is not None and any(factory_calls([plain(compile_.metrics), plain(compile_.weighted_metrics)]))

    def has_validation(self) -> bool:
        data = self.recipe.data
        return bool(self.recipe.fit.validation_split) or (data is not None and data.validation is not None)

    def check_callback(self, callback: dict[str, Any], path: KeyPath) -> None:
        """What Keras would only find at the end of the first epoch, or at start-up."""
        if callback.get("type") == "LambdaCallback":
            self.report.error(path + ("type",), "LambdaCallback takes Python functions, which a recipe cannot give (strings are never run); write a callback class in a plugin", key=path)
        monitor = callback.get("monitor", default_monitor(callback))
        if isinstance(monitor, str):
            if monitor.startswith("val_") and not self.has_validation():
                if "monitor" in callback:
                    self.report.error(path + ("monitor",), f"{monitor!r} needs validation data: give data.validation or fit.validation_split", key=path)
                else:
                    self.report.error(path, f"{callback['type']} watches {monitor!r} by default, which needs validation data: give data.validation or fit.validation_split, or `monitor: {monitor.removeprefix('val_')}`")
            elif monitor.removeprefix("val_") not in self.logged_names() and not self.has_factory_metrics():
                known = sorted(self.logged_names())
                self.report.warn(path + ("monitor",), f"{monitor!r} is not among the logged metrics ({', '.join(known)}){did_you_mean(monitor.removeprefix('val_'), known)}", key=path)
        if callback.get("type") == "ModelCheckpoint" and isinstance(callback.get("filepath"), str):
            suffix = ".weights.h5" if callback.get("save_weights_only") else ".keras"
            if not callback["filepath"].endswith(suffix):
                mode = "save_weights_only: true" if callback.get("save_weights_only") else "full models (save_weights_only: false)"
                self.report.error(path + ("filepath",), f"ModelCheckpoint of {mode} writes files ending in {suffix!r}, as Keras 3 requires", key=path)


#: Callbacks that watch a metric when `monitor:` is not given, and Keras's default for it.
DEFAULT_MONITORS = {"EarlyStopping": "val_loss", "ReduceLROnPlateau": "val_loss"}


def default_monitor(callback: dict[str, Any]) -> str | None:
    """The metric a callback watches when `monitor:` is left out (ModelCheckpoint only when it keeps the best)."""
    if callback.get("type") == "ModelCheckpoint" and callback.get("save_best_only"):
        return "val_loss"
    return DEFAULT_MONITORS.get(str(callback.get("type")))


def metric_name(metric: Any) -> str:
    """The name Keras logs a metric under: its `name`, the string given, or the class in snake_case."""
    if isinstance(metric, str):
        return metric
    if isinstance(metric, dict):
        if isinstance(metric.get("name"), str):
            return metric["name"]
        return re.sub(r"(?<!^)(?=[A-Z])", "_", str(metric.get("type", ""))).lower()
    return str(metric)
