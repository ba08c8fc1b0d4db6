"""Checks of `adapt:` entries (RECIPE.md section 4.2) and of preprocessing layers that need it."""

from __future__ import annotations

from kcfg.recipe.catalog import keras_class
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.report import Report
from kcfg.recipe.schema import LayerSpec, Recipe
from kcfg.recipe.schema.graph import AdaptSpec

#: Keras classes with `adapt()`, for messages (the catalog says which classes adapt).
ADAPTING = "Normalization, Discretization, StringLookup, IntegerLookup, TextVectorization"


def adapt_split(spec: LayerSpec) -> str | None:
    """The data split a layer entry adapts on, if any."""
    return spec.adapt.data if isinstance(spec.adapt, AdaptSpec) else spec.adapt


def check_adapt(report: Report, recipe: Recipe) -> None:
    """`adapt:` on a layer of `model` whose class adapts, naming a split the recipe has."""
    for name, spec in recipe.model.layers.items():
        path: KeyPath = ("model", "layers", name)
        if spec.adapt is not None:
            check_adapting_entry(report, recipe, spec, path)
        else:
            check_needs_vocabulary(report, spec, path)
    for submodel, graph in recipe.submodels.items():
        for name, spec in graph.layers.items():
            path = ("submodels", submodel, "layers", name)
            if spec.adapt is not None:
                report.error(path + ("adapt",), "only layers of `model` adapt (the data reaches them); move this layer into model, before the submodel", key=path)
            else:
                check_needs_vocabulary(report, spec, path)


def check_adapting_entry(report: Report, recipe: Recipe, spec: LayerSpec, path: KeyPath) -> None:
    at = path + ("adapt",)
    if spec.share is not None:
        report.error(at, f"a `share:` entry calls {spec.share!r} as it was adapted; put adapt: on {spec.share!r}", key=path)
        return
    if spec.type in recipe.submodels:
        report.error(at, f"submodel {spec.type!r} cannot adapt; put adapt: on its preprocessing layers in model", key=path)
        return
    info = keras_class("layers", spec.type or "")
    if info is not None and not info.adapts:
        report.error(at, f"{spec.type} has no adapt(): only preprocessing layers adapt ({ADAPTING})", key=path)
    split = adapt_split(spec)
    data = recipe.data
    if data is None or getattr(data, str(split)) is None:
        at_split = at + ("data",) if isinstance(spec.adapt, AdaptSpec) else at
        held_out = " (fit.validation_split holds out part of data.train as it trains; adapt on train)" if split == "validation" and recipe.fit.validation_split else ""
        report.error(at_split, f"adapt: {split} needs data.{split}, which this recipe does not have{held_out}", key=path)


def check_needs_vocabulary(report: Report, spec: LayerSpec, path: KeyPath) -> None:
    """A lookup layer with neither a vocabulary nor adapt: fails at its first call ('Table not initialized')."""
    info = keras_class("layers", spec.type or "")
    if info is not None and info.adapts and "vocabulary" in info.args and spec.arguments.get("vocabulary") is None:
        report.error(path, f"{spec.type} needs a vocabulary: give `vocabulary:` (a list, or a file) or `adapt: train` to learn it from the data")
