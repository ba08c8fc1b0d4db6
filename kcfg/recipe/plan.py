"""The graph plan: what each layer entry reads, and the order entries are built in.

The rules of RECIPE.md section 3 are applied here once: `input:` or the default (the
previous entry; for the first entry, the model's input), `name[i]` outputs, `call:`
keywords that name entries, `share:`, the outputs, and a build order in which every
entry comes after what it reads. Blocks (section 4.1) are expanded here too
(`blocks.py`), so checks, builder and plot all see the expanded steps, each of which
remembers where it was written (`Step.origin`). They read the plan instead of deriving
it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kcfg.recipe.blocks import GraphWalk
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.report import Report
from kcfg.recipe.schema import Block, Graph, Recipe
from kcfg.recipe.steps import BlockUse, InputRule, Origin, Reference, Step, call_references, input_texts

__all__ = [
    "BlockUse", "GraphPlan", "InputRule", "Origin", "RecipePlan", "Reference", "Step",
    "build_order", "call_references", "input_texts", "output_names", "plan_graph", "plan_recipe",
]


@dataclass(frozen=True)
class GraphPlan:
    """One graph (`model`, or a submodel) planned."""

    path: KeyPath
    graph: Graph
    steps: dict[str, Step]  # recipe order, blocks expanded
    outputs: list[str]  # as written: layer entries, inputs, or block uses
    order: list[str] = field(default_factory=list)  # build order
    uses: dict[str, list[Reference]] = field(default_factory=dict)  # block use entry -> the outputs it stands for
    blocks_used: frozenset[str] = frozenset()

    def step_path(self, name: str) -> KeyPath:
        """Where errors about step `name` go; an expanded step's path is placed on its block's lines by `LoadedRecipe`."""
        return self.path + ("layers", name)

    def output_refs(self, name: str) -> list[Reference]:
        """What an output name stands for: a block use's outputs, else the entry itself."""
        return self.uses.get(name, [Reference(name)])


@dataclass(frozen=True)
class RecipePlan:
    """The plans of `model` and of every submodel."""

    model: GraphPlan
    submodels: dict[str, GraphPlan]

    def graphs(self) -> list[GraphPlan]:
        return [self.model, *self.submodels.values()]


def output_names(graph: Graph) -> list[str]:
    """The graph's outputs: `outputs`, or the last layer."""
    return list(graph.outputs) if graph.outputs else [next(reversed(graph.layers))]


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


def plan_graph(graph: Graph, path: KeyPath, blocks: dict[str, Block] | None = None, report: Report | None = None) -> GraphPlan:
    """One graph planned; misuses of blocks go to `report` (None once the recipe is known to be valid)."""
    walk = GraphWalk(blocks or {}, path, report)
    steps, uses = walk.plan(list(graph.inputs), graph.layers)
    return GraphPlan(path, graph, steps, output_names(graph), build_order(steps, set(graph.inputs)), uses, frozenset(walk.used))


def plan_recipe(recipe: Recipe, report: Report | None = None) -> RecipePlan:
    """`model` and every submodel planned, blocks expanded; blocks nothing uses are a warning."""
    graphs: dict[KeyPath, Graph] = {("model",): recipe.model, **{("submodels", name): graph for name, graph in recipe.submodels.items()}}
    plans = {path: plan_graph(graph, path, recipe.blocks, report) for path, graph in graphs.items()}
    if report is not None:
        used = frozenset().union(*(plan.blocks_used for plan in plans.values()))
        for name in recipe.blocks:
            if name not in used:
                report.warn(("blocks", name), f"block {name!r} is not used: no layer entry says `block: {name}`")
    return RecipePlan(plans.pop(("model",)), {str(path[1]): plan for path, plan in plans.items()})
