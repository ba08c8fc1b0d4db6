"""Static checks of layer graphs (`model` and `submodels`), done before TensorFlow is imported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from kcfg.recipe.catalog import keras_class
from kcfg.recipe.errors import Path
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.schema import Graph, LayerSpec
from kcfg.recipe.suggest import did_you_mean

_INDEXED = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")
RESERVED_KEYS = ("type", "input", "call", "share")


@dataclass(frozen=True)
class Reference:
    """`name` or `name[i]`: output `i` of a layer with several outputs."""

    name: str
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        match = _INDEXED.match(text)
        if match:
            return cls(match["name"], int(match["index"]))
        return cls(text)


def output_names(graph: Graph) -> list[str]:
    """The graph's outputs: `outputs`, or the last layer."""
    return list(graph.outputs) if graph.outputs else [next(reversed(graph.layers))]


def layer_inputs(graph: Graph, layer: str, previous: str | None) -> list[str]:
    """The names fed to `layer` positionally: its `input`, the previous layer, or the only model input.

    An entry whose `call:` names layers and that gives no `input` is called with keywords only.
    """
    spec = graph.layers[layer]
    if spec.input is not None:
        return list(spec.input)
    if call_references(spec):
        return []
    if previous is not None:
        return [previous]
    return list(graph.inputs)


def call_references(spec: LayerSpec) -> dict[str, list[str]]:
    """`call:` keywords whose values name layers (strings, or lists of strings)."""
    refs: dict[str, list[str]] = {}
    for key, value in (spec.call or {}).items():
        if isinstance(value, str):
            refs[key] = [value]
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            refs[key] = list(value)
    return refs


class GraphChecker:
    """Checks every graph of a recipe against the others (submodels) and the catalog."""

    def __init__(self, objects: ObjectChecker, submodels: dict[str, Graph]) -> None:
        self.objects = objects
        self.report = objects.report
        self.submodels = submodels

    def check_all(self, model: Graph) -> None:
        for name, graph in self.submodels.items():
            if keras_class("layers", name) is not None:
                self.report.error(("submodels", name), f"submodel {name!r} has the name of a Keras layer; rename it")
            if graph.name is not None:  # two instances with one Keras name would clash in the model
                self.report.error(("submodels", name, "name"), "each instance of a submodel is named after the layer entry that uses it; remove `name:`", key=("submodels", name))
        self.check_submodel_cycles()
        self.check_graph(model, ("model",))
        for name, graph in self.submodels.items():
            self.check_graph(graph, ("submodels", name))

    def check_submodel_cycles(self) -> None:
        uses = {name: [(layer, spec.type) for layer, spec in g.layers.items() if spec.type in self.submodels] for name, g in self.submodels.items()}
        state: dict[str, str] = {}

        def visit(name: str, chain: list[str]) -> None:
            state[name] = "visiting"
            for layer, used in uses[name]:
                if state.get(used) == "visiting":
                    cycle = " -> ".join([*chain[chain.index(used):], used]) if used in chain else f"{name} -> {used}"
                    self.report.error(("submodels", name, "layers", layer, "type"), f"submodels use each other in a cycle: {cycle}", key=("submodels", name, "layers", layer))
                elif used not in state:
                    visit(used, [*chain, used])
            state[name] = "done"

        for name in self.submodels:
            if name not in state:
                visit(name, [name])

    def check_graph(self, graph: Graph, path: Path) -> None:
        names = set(graph.inputs) | set(graph.layers)
        errors_before = len(self.report.problems)
        for name in graph.inputs:
            if name in graph.layers:
                self.report.error(path + ("layers", name), f"name {name!r} is used by an input and a layer; names must be unique")
        edges: dict[str, list[str]] = {}
        previous: str | None = None
        for layer, spec in graph.layers.items():
            layer_path = path + ("layers", layer)
            self.check_layer(graph, layer, spec, layer_path, previous)
            edges[layer] = self.check_references(graph, layer, previous, layer_path, names)
            previous = layer
        outputs = output_names(graph)
        for i, name in enumerate(outputs):
            if name not in names:
                out_path = path + ("outputs",) + ((i,) if len(outputs) > 1 or isinstance(graph.outputs, list) else ())
                self.report.error(out_path, f"output {name!r} is not a layer{did_you_mean(name, graph.layers)}", key=path + ("outputs",))
        self.check_cycles(edges, path)
        if len(self.report.problems) == errors_before:  # after an error, unused-layer warnings are mostly its echo
            shares = {layer: [spec.share] for layer, spec in graph.layers.items() if spec.share is not None}
            self.check_unused(graph, {layer: refs + shares.get(layer, []) for layer, refs in edges.items()}, outputs, path)

    def check_references(self, graph: Graph, layer: str, previous: str | None, layer_path: Path, names: set[str]) -> list[str]:
        """Every name the layer reads (input, call keywords) must exist; returns the data edges."""
        spec = graph.layers[layer]
        if spec.input is None and previous is None and len(graph.inputs) > 1 and not call_references(spec):
            self.report.error(layer_path, f"the first layer needs `input:`: the model has several inputs ({', '.join(graph.inputs)})")
        found: list[str] = []
        sources: list[tuple[Path, list[str]]] = [(layer_path + ("input",), layer_inputs(graph, layer, previous))]
        sources += [(layer_path + ("call", key), refs) for key, refs in call_references(spec).items()]
        if spec.share == layer:
            self.report.error(layer_path + ("share",), "a layer cannot share itself; name another layer", key=layer_path)
        elif spec.share is not None and spec.share not in graph.layers:
            self.report.error(layer_path + ("share",), f"{spec.share!r} is not a layer{did_you_mean(spec.share, graph.layers)}", key=layer_path)
        for ref_path, refs in sources:
            for text in refs:
                ref = Reference.parse(text)
                if ref.name == layer:
                    if layer not in graph.inputs:  # else it is reported as a name clash
                        self.report.error(ref_path, f"layer {layer!r} reads its own output", key=layer_path)
                elif ref.name not in names:
                    self.report.error(ref_path, f"{ref.name!r} is not an input or layer{did_you_mean(ref.name, names)}", key=layer_path)
                else:
                    found.append(ref.name)
        return found

    def check_layer(self, graph: Graph, layer: str, spec: LayerSpec, layer_path: Path, previous: str | None) -> None:
        args = spec.arguments
        if spec.share is not None:
            if spec.type is not None or args:
                extra = ", ".join(["type", *args] if spec.type is not None else args)
                self.report.error(layer_path, f"a `share:` entry reuses {spec.share!r} as it is; remove {extra}")
            return
        if spec.type is None:
            self.report.error(layer_path, "needs `type:` (a keras.layers class, a submodel or a plugin class) or `share:`")
            return
        if "name" in args:
            self.report.error(layer_path + ("name",), "a layer's name is its key under `layers`; remove `name:`", key=layer_path)
            args = {k: v for k, v in args.items() if k != "name"}
        if spec.type in self.submodels:
            self.check_submodel_use(graph, layer, spec, layer_path, previous)
            return
        info = self.objects.class_info(spec.type, "layers", layer_path + ("type",))
        if info is None:
            return
        self.objects.check_arguments(spec.type, info, args, layer_path, reserved=RESERVED_KEYS)
        if spec.type == "Lambda" and "function" in args:
            self.objects.check_lambda_function(args["function"], layer_path + ("function",))
        if spec.call and info.call is not None and not info.call_open:
            for key in spec.call:
                if key not in info.call:
                    self.report.error(layer_path + ("call", key), f"{spec.type}.call has no argument {key!r}{did_you_mean(key, info.call)}", key=layer_path)

    def check_submodel_use(self, graph: Graph, layer: str, spec: LayerSpec, layer_path: Path, previous: str | None) -> None:
        assert spec.type is not None
        if spec.arguments:
            self.report.error(layer_path, f"submodel {spec.type!r} takes no arguments ({', '.join(spec.arguments)}); change submodels.{spec.type} instead")
        expected = len(self.submodels[spec.type].inputs)
        given = len(layer_inputs(graph, layer, previous))
        if given != expected and not (spec.input is None and previous is None):
            self.report.error(layer_path, f"submodel {spec.type!r} takes {expected} input(s), this entry gives {given}")

    def check_cycles(self, edges: dict[str, list[str]], path: Path) -> None:
        state: dict[str, int] = {}
        for start in edges:
            if start in state:
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            chain = [start]
            state[start] = 1
            while stack:
                node, i = stack[-1]
                targets = [t for t in edges.get(node, []) if t in edges]
                if i < len(targets):
                    stack[-1] = (node, i + 1)
                    nxt = targets[i]
                    if state.get(nxt) == 1:
                        cycle = " -> ".join([*chain[chain.index(nxt):], nxt][::-1])
                        self.report.error(path + ("layers", nxt), f"the layers form a cycle: {cycle}")
                    elif nxt not in state:
                        state[nxt] = 1
                        stack.append((nxt, 0))
                        chain.append(nxt)
                else:
                    state[node] = 2
                    stack.pop()
                    chain.pop()

    def check_unused(self, graph: Graph, edges: dict[str, list[str]], outputs: list[str], path: Path) -> None:
        reached: set[str] = set()
        todo = [name for name in outputs if name in edges or name in graph.inputs]
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            todo.extend(edges.get(name, []))
        for layer in graph.layers:
            if layer not in reached:
                self.report.warn(path + ("layers", layer), f"nothing reads layer {layer!r}: it is not on a path to an output")
        for name in graph.inputs:
            if name not in reached:
                self.report.warn(path + ("inputs", name), f"input {name!r} is not used by any output")
