"""Recipe graphs -> `keras.Model`s, by calling the layers the way a hand-written script does.

kcfg calls Keras's functional API directly instead of writing a functional config for
`keras.Model.from_config`: each layer is made and called inside a guard that knows the
recipe entry, so a shape or argument error lands on that entry's line, and building
costs what the hand-written script costs. `kcfg import` reads Keras's config either way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from kcfg.builder.keras_errors import reported_at
from kcfg.builder.objects import ObjectFactory
from kcfg.builder.plugins import Plugins, load_plugins
from kcfg.recipe.errors import Path, Problem, dotted
from kcfg.recipe.graph_checks import Reference, call_references, layer_inputs, output_names
from kcfg.recipe.load import LoadedRecipe
from kcfg.recipe.schema import Graph, LayerSpec

#: Stack frames Keras's recursive graph walk uses per layer of depth, with room to spare.
FRAMES_PER_LAYER = 10


@dataclass
class BuiltGraph:
    """One built graph, with what summaries and plots need to point back to the recipe."""

    model: Any  # keras.Model
    path: Path  # ("model",) or ("submodels", name)
    outputs: dict[str, Any] = field(default_factory=dict)  # input or layer entry -> its output tensor(s)
    children: dict[str, BuiltGraph] = field(default_factory=dict)  # entry -> submodel instance
    notes: list[Problem] = field(default_factory=list)  # warnings about what the builder chose

    def submodel_types(self) -> dict[int, str]:
        """id(nested keras.Model) -> submodel name, at every depth."""
        types: dict[int, str] = {}
        for child in self.children.values():
            types[id(child.model)] = str(child.path[1])
            types.update(child.submodel_types())
        return types


def dependencies(graph: Graph, name: str, previous: str | None) -> list[str]:
    """Entries that must be built before `name`: its inputs, call references, shared layer."""
    spec = graph.layers[name]
    refs = layer_inputs(graph, name, previous) + [r for refs in call_references(spec).values() for r in refs]
    names = [Reference.parse(r).name for r in refs]
    return names + ([spec.share] if spec.share else [])


def build_order(graph: Graph) -> list[str]:
    """Layer entries in recipe order, except that an entry comes after everything it reads."""
    previous = dict(zip(graph.layers, [None, *graph.layers]))
    order: list[str] = []
    done: set[str] = set(graph.inputs)
    for start in graph.layers:
        stack = [start]
        while stack:
            name = stack[-1]
            if name in done:
                stack.pop()
                continue
            waiting = [d for d in dependencies(graph, name, previous[name]) if d not in done and d in graph.layers]
            if waiting:
                stack.extend(reversed(waiting))
                continue
            done.add(name)
            order.append(name)
            stack.pop()
    return order


class GraphBuilder:
    """Builds `model` and, for every use, a new instance of the submodel it names."""

    def __init__(self, loaded: LoadedRecipe, factory: ObjectFactory) -> None:
        self.loaded = loaded
        self.submodels = loaded.recipe.submodels
        self.factory = factory

    def build(self, graph: Graph, path: Path, name: str) -> BuiltGraph:
        import keras

        inputs = {}
        for key, spec in graph.inputs.items():
            with reported_at(path + ("inputs", key), self.loaded.where):
                inputs[key] = keras.Input(shape=tuple(spec.shape), dtype=spec.dtype, sparse=spec.sparse, batch_size=spec.batch_size, name=key)
        built = BuiltGraph(model=None, path=path)
        values: dict[str, Any] = dict(inputs)
        objects: dict[str, Any] = {}
        previous = dict(zip(graph.layers, [None, *graph.layers]))
        for entry in build_order(graph):
            spec = graph.layers[entry]
            entry_path = path + ("layers", entry)
            with reported_at(entry_path, self.loaded.where, spec.arguments):
                objects[entry] = self.layer_object(spec, entry, objects, built)
                args = [self.value(values, ref) for ref in layer_inputs(graph, entry, previous[entry])]
                kwargs = {key: self.call_value(values, value) for key, value in (spec.call or {}).items()}
                values[entry] = objects[entry](*([args[0] if len(args) == 1 else args] if args else []), **kwargs)
        built.outputs = values
        outputs = [self.output(values, objects, out, graph) for out in output_names(graph)]
        with reported_at(path, self.loaded.where):
            built.model = keras.Model(
                inputs=list(inputs.values()) if len(inputs) > 1 else next(iter(inputs.values())),
                outputs=outputs if len(outputs) > 1 else outputs[0],
                name=graph.name or name,
            )
        return built

    def layer_object(self, spec: LayerSpec, entry: str, objects: dict[str, Any], built: BuiltGraph) -> Any:
        """The layer an entry calls: shared, a new submodel instance, or a new layer."""
        if spec.share is not None:
            return objects[spec.share]
        assert spec.type is not None  # checked by the recipe stage
        if spec.type in self.submodels:
            child = self.build(self.submodels[spec.type], ("submodels", spec.type), entry)
            built.children[entry] = child
            return child.model
        arguments = spec.arguments
        if built.path == ("model",) and entry in output_names(self.loaded.recipe.model) and "dtype" not in arguments and mixed_precision():
            # Keras's mixed-precision guide: keep the last layer (its softmax, the loss) in float32
            arguments = {**arguments, "dtype": "float32"}
            path = built.path + ("layers", entry)
            built.notes.append(Problem(self.loaded.where(path), dotted(path), "output layer runs in float32 under mixed precision, so its activation and the loss stay accurate; give `dtype:` to choose", "warning"))
        return self.factory.layer(spec.type, entry, arguments)

    @staticmethod
    def value(values: dict[str, Any], text: str) -> Any:
        ref = Reference.parse(text)
        value = values[ref.name]
        return value if ref.index is None else value[ref.index]

    def call_value(self, values: dict[str, Any], value: Any) -> Any:
        """`call:` values: strings name layers; lists of names become lists of tensors."""
        if isinstance(value, str):
            return self.value(values, value)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return [self.value(values, v) for v in value]
        return value

    def output(self, values: dict[str, Any], objects: dict[str, Any], name: str, graph: Graph) -> Any:
        """An output tensor, renamed when it comes from a layer of another name (a `share:` entry).

        Keras names outputs after the layer that made them; loss and metric keys use the
        recipe entry's name, so a shared layer's second output gets an Identity of that name.
        """
        import keras

        value = values[name]
        if name in graph.layers and getattr(objects[name], "name", name) != name:
            return keras.layers.Identity(name=name)(value)
        return value


def mixed_precision() -> bool:
    import keras

    return keras.mixed_precision.global_policy().name.startswith("mixed")


def build_model(loaded: LoadedRecipe, plugins: Plugins | None = None) -> BuiltGraph:
    """The recipe's `model` as a `keras.Model`, with its plugins imported first (unless given).

    Raises:
        RecipeError: a plugin failed to import, or Keras rejected a layer (on its line).
    """
    layer_count = sum(len(g.layers) for g in [loaded.recipe.model, *loaded.recipe.submodels.values()])
    # Keras walks a functional graph recursively, a few frames per layer of depth: deep
    # stacks (a 2,000-layer residual net) need more than Python's default of 1,000.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), FRAMES_PER_LAYER * layer_count + 1000))
    if plugins is None:
        plugins = load_plugins(loaded.recipe.plugins, loaded.file.parent, loaded.where)
    builder = GraphBuilder(loaded, ObjectFactory(plugins))
    return builder.build(loaded.recipe.model, ("model",), loaded.recipe.model.name or loaded.name)
