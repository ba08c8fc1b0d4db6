"""`kcfg show --expand`: the resolved recipe with every block use replaced by the layers it expands to.

What it prints is itself a recipe, and builds the same model: each expanded layer says
`input:` wherever the default (the entry before it) would read something else, and a
block use that is an output of `model` becomes an `Identity` of the use's name, which is
what the builder adds for it.
"""

from __future__ import annotations

from typing import Any

from kcfg.recipe.load import LoadedRecipe
from kcfg.recipe.plan import GraphPlan


def expanded_recipe(loaded: LoadedRecipe) -> dict[str, Any]:
    """`loaded.data` without `blocks:`, its graphs' layers expanded."""
    data = {key: value for key, value in loaded.data.items() if key != "blocks"}
    data["model"] = expanded_graph(loaded.data["model"], loaded.plan.model)
    if loaded.plan.submodels:
        data["submodels"] = {name: expanded_graph(loaded.data["submodels"][name], plan) for name, plan in loaded.plan.submodels.items()}
    return data


def expanded_graph(written: dict[str, Any], plan: GraphPlan) -> dict[str, Any]:
    layers: dict[str, Any] = {}
    previous: str | None = None
    for name, step in plan.steps.items():
        entry = step.spec.model_dump(exclude_unset=True, exclude_none=True)
        if step.spec.op is None or step.spec.input is None:
            entry.pop("input", None)
            reads = [str(ref) for ref in step.inputs]
            default = [previous] if previous is not None else list(plan.graph.inputs)
            if step.rule != "keywords only" and reads != default:
                entry["input"] = reads[0] if len(reads) == 1 else reads
        first = [key for key in ("type", "op", "share", "input") if key in entry]  # as recipes are written
        layers[name] = {**{key: entry[key] for key in first}, **entry}
        previous = name
    for output in plan.outputs if plan.path == ("model",) else ():
        if output in plan.uses:
            (ref,) = plan.uses[output]
            layers[output] = {"type": "Identity", "input": str(ref)}
    return {**written, "layers": layers}
