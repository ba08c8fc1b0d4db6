"""Recipe graphs -> `keras.Model`s, by calling the layers the way a hand-written script does.

kcfg calls Keras's functional API directly instead of writing a functional config for
`keras.Model.from_config`: each layer is made and called inside a guard that knows the
recipe entry, so a shape or argument error lands on that entry's line, and building
costs what the hand-written script costs. `kcfg import` reads Keras's config either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kcfg.builder.keras_errors import KerasBoundary
from kcfg.builder.objects import ObjectFactory
from kcfg.builder.plugins import Plugins, load_plugins
from kcfg.recipe import GraphPlan, KeyPath, LoadedRecipe, Problem, Reference, Step, dotted

#: Stack frames Keras's recursive graph walk uses per layer of depth, with room to spare.
FRAMES_PER_LAYER = 10
#: Adapts an `adapt:` entry's layer before its first call: (step, layer, the tensor it reads, the model's inputs).
Adapter = Callable[[Step, Any, Any, dict[str, Any]], None]


@dataclass
class BuiltGraph:
    """One built graph, with what summaries and plots need to point back to the recipe."""

    model: Any  # keras.Model
    path: KeyPath  # ("model",) or ("submodels", name)
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


class GraphBuilder:
    """Builds `model` and, for every use, a new instance of the submodel it names."""

    def __init__(self, loaded: LoadedRecipe, factory: ObjectFactory, adapter: Adapter | None = None) -> None:
        self.loaded = loaded
        self.plans = loaded.plan.submodels
        self.factory = factory
        self.boundary = KerasBoundary(loaded.where)
        self.adapter = adapter

    def build(self, plan: GraphPlan, name: str) -> BuiltGraph:
        import keras

        inputs = {}
        for key, spec in plan.graph.inputs.items():
            with self.boundary.at(plan.path + ("inputs", key)):
                inputs[key] = keras.Input(shape=tuple(spec.shape), dtype=spec.dtype, sparse=spec.sparse, batch_size=spec.batch_size, name=key)
        built = BuiltGraph(model=None, path=plan.path)
        values: dict[str, Any] = dict(inputs)
        objects: dict[str, Any] = {}
        for entry in plan.order:
            step = plan.steps[entry]
            with self.boundary.at(plan.step_path(entry), step.spec.arguments):
                objects[entry] = self.layer_object(step, objects, built)
                args = [self.value(values, ref) for ref in step.inputs]
                if step.spec.adapt is not None and self.adapter is not None:
                    self.adapter(step, objects[entry], args[0] if len(args) == 1 else args, inputs)
                kwargs = {key: self.call_value(values, value) for key, value in (step.spec.call or {}).items()}
                values[entry] = objects[entry](*([args[0] if len(args) == 1 else args] if args else []), **kwargs)
        built.outputs = values
        outputs = [self.output(values, objects, out, plan) for out in plan.outputs]
        with self.boundary.at(plan.path):
            built.model = keras.Model(
                inputs=list(inputs.values()) if len(inputs) > 1 else next(iter(inputs.values())),
                outputs=outputs if len(outputs) > 1 else outputs[0],
                name=plan.graph.name or name,
            )
        return built

    def layer_object(self, step: Step, objects: dict[str, Any], built: BuiltGraph) -> Any:
        """The layer an entry calls: shared, a new submodel instance, or a new layer."""
        spec = step.spec
        if spec.share is not None:
            return objects[spec.share]
        assert spec.type is not None  # checked by the recipe stage
        if spec.type in self.plans:
            child = self.build(self.plans[spec.type], step.name)
            built.children[step.name] = child
            return child.model
        arguments = spec.arguments
        if built.path == ("model",) and step.name in self.loaded.plan.model.outputs and "dtype" not in arguments and mixed_precision():
            # Keras's mixed-precision guide: keep the last layer (its softmax, the loss) in float32
            arguments = {**arguments, "dtype": "float32"}
            path = built.path + ("layers", step.name)
            built.notes.append(Problem(self.loaded.where(path), dotted(path), "output layer runs in float32 under mixed precision, so its activation and the loss stay accurate; give `dtype:` to choose", "warning"))
        return self.factory.layer(spec.type, step.name, arguments)

    @staticmethod
    def value(values: dict[str, Any], ref: Reference) -> Any:
        value = values[ref.name]
        return value if ref.index is None else value[ref.index]

    def call_value(self, values: dict[str, Any], value: Any) -> Any:
        """`call:` values: strings name entries; lists of names become lists of tensors."""
        if isinstance(value, str):
            return self.value(values, Reference.parse(value))
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return [self.value(values, Reference.parse(v)) for v in value]
        return value

    def output(self, values: dict[str, Any], objects: dict[str, Any], name: str, plan: GraphPlan) -> Any:
        """An output tensor, renamed when it comes from a layer of another name (a `share:` entry).

        Keras names outputs after the layer that made them; loss and metric keys use the
        recipe entry's name, so a shared layer's second output gets an Identity of that name.
        """
        import keras

        value = values[name]
        if name in plan.steps and getattr(objects[name], "name", name) != name:
            return keras.layers.Identity(name=name)(value)
        return value


def mixed_precision() -> bool:
    import keras

    return keras.mixed_precision.global_policy().name.startswith("mixed")


def build_model(loaded: LoadedRecipe, plugins: Plugins | None = None, adapter: Adapter | None = None) -> BuiltGraph:
    """The recipe's `model` as a `keras.Model`, with its plugins imported first (unless given).

    `adapter` adapts the `adapt:` layers on their data (the run stage's); without one they stay unadapted.

    Raises:
        RecipeError: a plugin failed to import, or Keras rejected a layer (on its line).
    """
    layer_count = sum(len(g.layers) for g in [loaded.recipe.model, *loaded.recipe.submodels.values()])
    # Keras walks a functional graph recursively, a few frames per layer of depth: deep
    # stacks (a 2,000-layer residual net) need more than Python's default of 1,000.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), FRAMES_PER_LAYER * layer_count + 1000))
    if plugins is None:
        plugins = load_plugins(loaded.recipe.plugins, loaded.file.parent, loaded.where)
    builder = GraphBuilder(loaded, ObjectFactory(plugins), adapter)
    return builder.build(loaded.plan.model, loaded.recipe.model.name or loaded.name)
