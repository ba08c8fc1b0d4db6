"""Layer-graph drawings with Graphviz, drawn from the recipe so they use its names.

Nodes are recipe entries (name, type, the arguments the recipe gives); output shapes
come from the built model when asked for. A `share:` entry is its own node with a dashed
edge to the layer whose weights it uses; an `op:` entry a shaded node; each block use is
a dashed cluster holding the layers it expanded into; with `nested`, each submodel
instance is a cluster holding its own layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import graphviz

from kcfg.recipe import GraphPlan, RecipePlan, Reference, Step
from kcfg.recipe.plan import BlockUse

#: Output formats by file suffix; `.dot` is the Graphviz source and needs no `dot` binary.
FORMATS = ("png", "svg", "pdf", "dot")
MAX_ARGUMENTS = 4
MAX_VALUE = 24


def argument_text(arguments: dict[str, Any]) -> str:
    """`units=64, activation=relu`: the first arguments, nested objects by their type."""
    parts = []
    for key, value in list(arguments.items())[:MAX_ARGUMENTS]:
        if isinstance(value, dict):
            value = value.get("type", "{...}")
        text = str(value).replace("'", "")
        parts.append(f"{key}={text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + '...'}")
    return ", ".join(parts)


def shape_text(tensors: Any) -> str:
    if isinstance(tensors, (list, tuple)):
        return ", ".join(shape_text(t) for t in tensors)
    return str(tuple(tensors.shape)).replace(",)", ")")


class GraphDrawing:
    """Draws `model` (and submodel clusters) of one recipe into a `graphviz.Digraph`."""

    def __init__(self, plan: RecipePlan, *, built: Any = None, nested: bool = False) -> None:
        self.plan = plan
        self.built = built  # BuiltGraph, for shapes; None draws without them
        self.nested = nested

    def draw(self, name: str) -> graphviz.Digraph:
        dot = graphviz.Digraph(name=name, graph_attr={"rankdir": "TB", "label": name, "labelloc": "t"}, node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica"}, edge_attr={"fontname": "Helvetica", "fontsize": "10"})
        self.draw_graph(dot, self.plan.model, "", self.built)
        return dot

    def label(self, lines: list[str], built: Any, entry: str) -> str:
        if built is not None and entry in built.outputs:
            lines.append(shape_text(built.outputs[entry]))
        return "\n".join(line for line in lines if line)

    def draw_graph(self, dot: graphviz.Digraph, plan: GraphPlan, prefix: str, built: Any) -> tuple[list[str], list[str]]:
        """Draw one graph; returns its input node ids and output node ids."""
        graph = plan.graph
        ins: dict[str, list[str]] = {}  # entry -> node ids its inputs go to, in order
        outs: dict[str, list[str]] = {}  # entry -> node ids of its outputs
        for name, input_spec in graph.inputs.items():
            node = prefix + name
            dot.node(node, self.label([name, f"Input {input_spec.dtype}" if input_spec.dtype != "float32" else "Input"], built, name), shape="ellipse")
            ins[name] = outs[name] = [node]
        self.draw_nodes(dot, block_clusters(list(plan.steps.values())), prefix, built, ins, outs)
        for entry, step in plan.steps.items():
            for i, ref in enumerate(step.inputs):
                self.edge(dot, ref, outs, ins[entry][min(i, len(ins[entry]) - 1)])
            for key, refs in step.calls.items():
                for ref in refs:
                    self.edge(dot, ref, outs, ins[entry][0], key)
            if step.spec.share is not None:
                dot.edge(outs[step.spec.share][0], prefix + entry, style="dashed", arrowhead="none", constraint="false", label="shared")
        graph_outputs = [node for name in plan.outputs for ref in plan.output_refs(name) for node in outs[ref.name]]
        return [node for name in graph.inputs for node in ins[name]], graph_outputs

    def draw_nodes(self, dot: graphviz.Digraph, items: list[Step | Cluster], prefix: str, built: Any, ins: dict[str, list[str]], outs: dict[str, list[str]]) -> None:
        """Nodes of steps, each block use's steps inside a cluster of its own."""
        for item in items:
            if isinstance(item, Cluster):
                with dot.subgraph(name=f"cluster_{prefix}{item.use.label}") as cluster:
                    cluster.attr(label=f"{item.use.label} ({item.use.block})", style="rounded,dashed", color="gray50", fontname="Helvetica")
                    self.draw_nodes(cluster, item.items, prefix, built, ins, outs)
                continue
            entry, spec = item.name, item.spec
            node = prefix + entry
            if spec.share is not None:
                dot.node(node, self.label([entry, f"shares {spec.share}"], built, entry), style="rounded,dashed")
                ins[entry] = outs[entry] = [node]
            elif spec.op is not None:
                dot.node(node, self.label([entry, str(spec.op), argument_text(spec.arguments.get("arguments") or {})], built, entry), style="rounded,filled", fillcolor="gray95")
                ins[entry] = outs[entry] = [node]
            elif spec.type in self.plan.submodels and self.nested:
                child = built.children.get(entry) if built is not None else None
                with dot.subgraph(name=f"cluster_{node}") as cluster:
                    cluster.attr(label=f"{entry} ({spec.type})", style="rounded", color="gray40")
                    ins[entry], outs[entry] = self.draw_graph(cluster, self.plan.submodels[spec.type], node + "/", child)
            else:
                dot.node(node, self.label([entry, str(spec.type), argument_text(spec.arguments)], built, entry))
                ins[entry] = outs[entry] = [node]

    @staticmethod
    def edge(dot: graphviz.Digraph, ref: Reference, outs: dict[str, list[str]], target: str, label: str | None = None) -> None:
        sources = outs[ref.name]
        if ref.index is not None and len(sources) > 1:
            dot.edge(sources[ref.index], target, label=label)
        else:
            tag = f"[{ref.index}]" if ref.index is not None else ""
            dot.edge(sources[0], target, label=(label or "") + tag or None)


@dataclass
class Cluster:
    """The steps one block use expanded into (nested uses as clusters inside)."""

    use: BlockUse
    items: list[Step | Cluster] = field(default_factory=list)


def block_clusters(steps: list[Step]) -> list[Step | Cluster]:
    """Steps grouped by the block uses they came from; a use's steps are consecutive in the plan."""
    root: list[Step | Cluster] = []
    open_: list[tuple[tuple[BlockUse, ...], list[Step | Cluster]]] = [((), root)]
    for step in steps:
        chain = step.origin.uses if step.origin else ()
        while open_[-1][0] != chain[: len(open_[-1][0])]:
            open_.pop()
        while len(open_[-1][0]) < len(chain):
            cluster = Cluster(chain[len(open_[-1][0])])
            open_[-1][1].append(cluster)
            open_.append((chain[: len(open_[-1][0]) + 1], cluster.items))
        open_[-1][1].append(step)
    return root


def rendered(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The drawing as `fmt` bytes; `dot` is the source and needs no Graphviz binary.

    Raises:
        graphviz.ExecutableNotFound: `dot` is not installed.
    """
    return dot.source.encode("utf-8") if fmt == "dot" else dot.pipe(format=fmt)
