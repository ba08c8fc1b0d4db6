"""Data sources against the model, where the recipe alone tells: a TFRecord `features:` spec and the inputs it feeds."""

from __future__ import annotations

from typing import Any

from kcfg.recipe.data_mapping import as_mapping, default_key, fitted_shape, mapped_columns
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.report import Report
from kcfg.recipe.schema import Recipe, TFRecordSource


def check_features(report: Report, source: TFRecordSource, path: KeyPath, recipe: Recipe) -> None:
    """Each model input's features exist, have its kind (text or numbers) and hold as many values as it takes."""
    features, inputs = source.features, recipe.model.inputs
    given = as_mapping(source.x, list(inputs))
    for name, spec in inputs.items():
        if given is not None and name not in given:
            continue
        keys = given[name] if given is not None else default_key(features, name, "x", len(inputs))
        at = path + ("x", name) if isinstance(source.x, dict) else path + ("x",) if source.x is not None else path + ("features",)
        if keys is None:
            report.error(at, f"no feature for model input {name!r}: name one in x (features: {', '.join(features)})")
            continue
        wanted = [keys] if isinstance(keys, str) else list(keys)
        missing = [k for k in wanted if k not in features]
        if missing:
            report.error(at, f"{missing[0]!r} is not among features ({', '.join(features)})")
            continue
        text = [k for k in wanted if features[k].dtype == "string"]
        if text and spec.dtype != "string":  # numbers for a string input become text; text never becomes numbers
            report.error(at, f"input {name!r} takes {spec.dtype}, but feature {text[0]!r} holds text: give the input `dtype: string`, or map a numeric feature")
            continue
        shapes = {tuple(features[k].shape) for k in wanted}
        if len(shapes) > 1:
            report.error(at, f"features stacked into input {name!r} have different shapes: {', '.join(map(str, sorted(shapes)))}")
            continue
        sample = shapes.pop() if isinstance(keys, str) else (*shapes.pop(), len(wanted))
        if isinstance(fitted_shape(sample, tuple(spec.shape), reshape=True, sparse=False), str):
            report.error(at, f"features give {list(sample)} per example, which does not fit input {name!r} of shape {list(spec.shape)}")
    for key in ("y", "sample_weight"):
        for column in mapped_columns(getattr(source, key)):
            if column not in features:
                report.error(path + (key,), f"{column!r} is not among features ({', '.join(features)})")


def check_source(report: Report, source: Any, path: KeyPath, recipe: Recipe) -> None:
    if isinstance(source, TFRecordSource):
        check_features(report, source, path, recipe)
