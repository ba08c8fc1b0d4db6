"""`kcfg show --defaults`: the resolved recipe with every default kcfg applies written out.

Defaults come from the recipe models (fit, evaluate, runtime, data sources, compile even
when the recipe has none) and from the graph plan (the run name, the model's name, each
layer's `input:` when it is the previous layer or the model's input, `outputs`). What the
recipe wrote stays as written and in its order; defaults follow it. Keras's own argument
defaults (a Dense layer's `use_bias`) are Keras's and are not repeated.
"""

from __future__ import annotations

from typing import Any

from kcfg.recipe.load import LoadedRecipe
from kcfg.recipe.plan import GraphPlan
from kcfg.recipe.schema import Compile, Graph

#: `fit.batch_size` when neither the recipe nor its data source sets one (Keras's default).
KERAS_BATCH_SIZE = 32


def with_defaults(loaded: LoadedRecipe) -> dict[str, Any]:
    """The resolved recipe (`LoadedRecipe.data`) with every applicable default added."""
    recipe = loaded.recipe
    defaults: dict[str, Any] = recipe.model_dump(exclude_none=True, warnings=False)  # callable union tags cannot serialize; the values are plain
    defaults["name"] = loaded.name
    defaults["model"] = graph_defaults(loaded.plan.model, recipe.model, recipe.model.name or loaded.name)
    for name, plan in loaded.plan.submodels.items():
        defaults["submodels"][name] = graph_defaults(plan, recipe.submodels[name], None)
    defaults.setdefault("compile", Compile().model_dump(exclude_none=True, warnings=False))
    defaults["fit"].setdefault("batch_size", KERAS_BATCH_SIZE)
    defaults["runtime"]["run_dir"] = loaded.run_dir()  # resolved like the rest: ${timestamp} stays until a run starts
    filled: dict[str, Any] = fill(loaded.data, defaults)
    return {"kcfg": filled.pop("kcfg"), "name": filled.pop("name"), **filled}  # what the file is first


def graph_defaults(plan: GraphPlan, graph: Graph, name: str | None) -> dict[str, Any]:
    """A graph's defaults, with each layer's input and the outputs as the plan decided them."""
    dumped: dict[str, Any] = graph.model_dump(exclude_none=True, warnings=False)
    if name is not None:
        dumped = {"name": name, **dumped}
    dumped["outputs"] = plan.outputs
    for entry, step in plan.steps.items():
        if entry not in dumped["layers"]:  # a layer a block use expands to: the use is what the recipe writes
            continue
        if step.rule in ("previous entry", "model input"):
            inputs = [str(reference) for reference in step.inputs]
            dumped["layers"][entry]["input"] = inputs[0] if len(inputs) == 1 else inputs
    return dumped


def fill(written: Any, defaults: Any) -> Any:
    """`written` with the keys it lacks taken from `defaults`; a shorthand (`img: [28, 28]`) becomes its full form."""
    if isinstance(written, dict) and isinstance(defaults, dict):  # empty defaults (`plugins: []`) say nothing
        merged = {key: fill(value, defaults.get(key)) for key, value in written.items()}
        merged.update({key: value for key, value in defaults.items() if key not in written and value not in ([], {})})
        return merged
    if isinstance(written, list) and isinstance(defaults, dict):
        return defaults
    if isinstance(written, list) and isinstance(defaults, list) and len(written) == len(defaults):
        return [fill(w, d) for w, d in zip(written, defaults)]
    return written
