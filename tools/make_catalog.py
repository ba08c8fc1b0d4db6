"""Developer tool: generate `kcfg/recipe/keras_catalog.json` from the installed Keras (`make catalog`).

The catalog lets `kcfg validate` check layer types and constructor arguments without
importing TensorFlow. A test regenerates it and fails when the shipped file is stale.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any, cast

from kcfg.recipe.catalog import CATALOG_FILE
from kcfg.recipe.grammar import KERAS_MODULES

#: category -> module whose ALL_OBJECTS_DICT lists the names `keras.<category>.get()` accepts
REGISTRIES = {
    "losses": "keras.src.losses",
    "metrics": "keras.src.metrics",
    "optimizers": "keras.src.optimizers",
    "initializers": "keras.src.initializers",
    "regularizers": "keras.src.regularizers",
    "constraints": "keras.src.constraints",
}
#: Strings `Model.compile` accepts as metrics on top of the metric registry.
COMPILE_METRIC_ALIASES = ["accuracy", "acc", "crossentropy", "ce"]


def _closing_bases() -> dict[type, list[str]]:
    """Base classes whose `**kwargs` reject unknown names, with the extra names they pop."""
    import keras
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    return {keras.layers.Layer: ["input_dim", "input_shape"], BaseOptimizer: []}


def constructor(cls: type, closing: dict[type, list[str]]) -> dict[str, Any]:
    """The keyword arguments a class accepts, following `**kwargs` up its bases."""
    args: list[str] = []
    required: list[str] = []
    open_kwargs = False
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__:
            continue
        if not klass.__module__.startswith("keras"):
            open_kwargs = True
            break
        params = list(inspect.signature(klass.__dict__["__init__"]).parameters.values())[1:]
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in args:
                continue
            args.append(p.name)
            if p.default is p.empty and klass is cls:
                required.append(p.name)
        if klass in closing:
            args.extend(name for name in closing[klass] if name not in args)
            break
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    entry: dict[str, Any] = {"args": args}
    if required:
        entry["required"] = required
    if open_kwargs:
        entry["open"] = True
    return entry


def _call_signature(cls: type) -> dict[str, Any]:
    """Keyword arguments of `Layer.call`, for checking a recipe's `call:` keys."""
    params = list(inspect.signature(cast(Any, cls).call).parameters.values())[1:]
    entry: dict[str, Any] = {"call": [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]}
    if any(p.kind is p.VAR_KEYWORD for p in params):
        entry["call_open"] = True
    return entry


def generate() -> dict[str, Any]:
    """Introspect the installed Keras into a JSON-ready catalog."""
    import keras

    closing = _closing_bases()
    catalog: dict[str, Any] = {"keras_version": keras.__version__}
    for category, (public, base_name) in KERAS_MODULES.items():
        registry = REGISTRIES.get(category)
        module = importlib.import_module(public)
        base = getattr(module, base_name)
        classes = {}
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or not inspect.isclass(obj) or not issubclass(obj, base) or inspect.isabstract(obj):
                continue
            entry = constructor(obj, closing)
            if category == "layers":
                entry.update(_call_signature(obj))
                if callable(getattr(obj, "adapt", None)):
                    entry["adapt"] = True  # a preprocessing layer: `adapt:` in a recipe
            classes[name] = entry
        section: dict[str, Any] = {"classes": classes}
        if registry is not None:
            names = set(importlib.import_module(registry).ALL_OBJECTS_DICT)
            if category == "metrics":
                names.update(COMPILE_METRIC_ALIASES)
            section["names"] = sorted(names)
        catalog[category] = section
    catalog["activations"] = {"names": sorted(n for n in dir(keras.activations) if not n.startswith("_") and n not in ("get", "serialize", "deserialize"))}
    catalog["ops"] = {"names": sorted(n for n in dir(keras.ops) if not n.startswith("_") and callable(getattr(keras.ops, n)))}
    return catalog


def render(catalog: dict[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True) + "\n"


def main() -> None:
    CATALOG_FILE.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {CATALOG_FILE.relative_to(Path.cwd()) if CATALOG_FILE.is_relative_to(Path.cwd()) else CATALOG_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
