"""The graph plan: what each layer entry reads, and the order entries are built in.

The rules of RECIPE.md section 3 are applied here once: `input:` or the default (the
previous entry; for the first entry, the model's input), `name[i]` outputs, `call:`
keywords that name entries, `share:`, the outputs, and a build order in which every
entry comes after what it reads. Checks, builder and plot read the plan instead of
deriving it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import Graph, LayerSpec, Recipe

_INDEXED = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")

#: How an entry's positional input was decided (said in errors about it).
InputRule = Literal["input", "previous entry", "model input", "keywords only"]


@dataclass(frozen=True)
class Reference:
    """`name` or `name[i]`: output `i` of an entry with several outputs."""

    name: str
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        match = _INDEXED.match(text)
        if match:
            return cls(match["name"], int(match["index"]))
        return cls(text)

    def __str__(self) -> str:
        return self.name if self.index is None else f"{self.name}[{self.index}]"


def call_references(call: dict[str, Any] | None) -> dict[str, list[Reference]]:
    """`call:` keywords whose values name entries (a string, or a list of strings)."""
    refs: dict[str, list[Reference]] = {}
    for key, value in (call or {}).items():
        if isinstance(value, str):
            refs[key] = [Reference.parse(value)]
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            refs[key] = [Reference.parse(v) for v in value]
    return refs


@dataclass(frozen=True)
class Step:
    """One layer entry as the builder will call it."""

    name: str
    spec: LayerSpec
    inputs: tuple[Reference, ...]  # positional: one tensor, or a list for merge layers
    rule: InputRule
    calls: dict[str, list[Reference]]  # `call:` keywords that name entries

    def reads(self) -> list[tuple[KeyPath, Reference]]:
        """Every entry this step reads, with the key (under the entry) that names it."""
        found: list[tuple[KeyPath, Reference]] = [(("input",), ref) for ref in self.inputs]
        found += [(("call", key), ref) for key, refs in self.calls.items() for ref in refs]
        return found

    def depends_on(self) -> list[str]:
        """Entries that must exist before this one: what it reads and the layer it shares."""
        return [ref.name for _, ref in self.reads()] + ([self.spec.share] if self.spec.share else [])


@dataclass(frozen=True)
class GraphPlan:
    """One graph (`model`, or a submodel) planned."""

    path: KeyPath
    graph: Graph
    steps: dict[str, Step]  # recipe order
    outputs: list[str]
    order: list[str] = field(default_factory=list)  # build order

    def step_path(self, name: str) -> KeyPath:
        return self.path + ("layers", name)


@dataclass(frozen=True)
class RecipePlan:
    """The plans of `model` and of every submodel."""

    model: GraphPlan
    submodels: dict[str, GraphPlan]


def output_names(graph: Graph) -> list[str]:
    """The graph's outputs: `outputs`, or the last layer."""
    return list(graph.outputs) if graph.outputs else [next(reversed(graph.layers))]


def plan_step(graph: Graph, name: str, previous: str | None) -> Step:
    spec = graph.layers[name]
    calls = call_references(spec.call)
    if spec.input is not None:
        return Step(name, spec, tuple(map(Reference.parse, spec.input)), "input", calls)
    if calls:
        return Step(name, spec, (), "keywords only", calls)
    if previous is not None:
        return Step(name, spec, (Reference(previous),), "previous entry", calls)
    return Step(name, spec, tuple(Reference(i) for i in graph.inputs), "model input", calls)


def build_order(steps: dict[str, Step], inputs: set[str]) -> list[str]:
    """Entries in recipe order, except that an entry comes after everything it reads.

    Entries in a cycle (reported by the checks) are placed where the walk meets them.
    """
    order: list[str] = []
    done = set(inputs)
    for start in steps:
        stack, entered = [start], set()
        while stack:
            name = stack[-1]
            if name in done:
                stack.pop()
                continue
            waiting = [d for d in steps[name].depends_on() if d not in done and d in steps and d not in entered]
            entered.add(name)
            if waiting:
                stack.extend(reversed(waiting))
                continue
            done.add(name)
            order.append(name)
            stack.pop()
    return order


def plan_graph(graph: Graph, path: KeyPath) -> GraphPlan:
    names = list(graph.layers)
    steps = {name: plan_step(graph, name, previous) for name, previous in zip(names, [None, *names])}
    return GraphPlan(path, graph, steps, output_names(graph), build_order(steps, set(graph.inputs)))


def plan_recipe(recipe: Recipe) -> RecipePlan:
    return RecipePlan(
        plan_graph(recipe.model, ("model",)),
        {name: plan_graph(graph, ("submodels", name)) for name, graph in recipe.submodels.items()},
    )
