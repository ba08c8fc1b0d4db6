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
from kcfg.builder.objects import ObjectFactory, shape_tuple
from kcfg.builder.plugins import Plugins, load_plugins
from kcfg.recipe import GraphPlan, KeyPath, LoadedRecipe, PathProblem, Problem, Reference, Step, dotted
from kcfg.recipe.steps import call_texts

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
        model = loaded.plan.model
        self.output_steps = {ref.name for name in model.outputs for ref in model.output_refs(name)}

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
            path = plan.step_path(entry)
            with self.boundary.at(path, step.spec.arguments, note=rule_note(step)):
                if step.spec.op is not None:
                    values[entry] = self.call_op(step, values, path)
                    continue
                objects[entry] = self.layer_object(step, objects, built)
                args = [self.value(values, ref, path + ("input",)) for ref in step.inputs]
                if step.spec.adapt is not None and self.adapter is not None:
                    self.adapter(step, objects[entry], args[0] if len(args) == 1 else args, inputs)
                kwargs = {key: self.call_value(values, value, path + ("call", key)) for key, value in (step.spec.call or {}).items()}
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
        if built.path == ("model",) and step.name in self.output_steps and "dtype" not in arguments and mixed_precision():
            # Keras's mixed-precision guide: keep the last layer (its softmax, the loss) in float32
            arguments = {**arguments, "dtype": "float32"}
            path = built.path + ("layers", step.name)
            built.notes.append(Problem(self.loaded.where(path), dotted(path), "output layer runs in float32 under mixed precision, so its activation and the loss stay accurate; give `dtype:` to choose", "warning"))
        return self.factory.layer(spec.type, step.name, arguments)

    def call_op(self, step: Step, values: dict[str, Any], path: KeyPath) -> Any:
        """An `op:` entry: the function called on the tensors (and numbers) of `input:`, as a script writes `x + y`."""
        spec = step.spec
        function = self.factory.function(str(spec.op))
        if spec.input is None:
            args = [self.value(values, ref, path + ("input",)) for ref in step.inputs]
        else:
            args = [self.op_argument(values, item, path + ("input", i)) for i, item in enumerate(spec.input)]
        keywords = spec.arguments.get("arguments") or {}
        result = function(*args, **{key: shape_tuple(value) for key, value in keywords.items()})
        name_operation(result, step.name, values)
        return result

    def op_argument(self, values: dict[str, Any], item: Any, at: KeyPath) -> Any:
        if isinstance(item, str):
            return self.value(values, Reference.parse(item), at)
        if isinstance(item, list):
            return [self.op_argument(values, sub, at + (i,)) for i, sub in enumerate(item)]
        return item

    @staticmethod
    def value(values: dict[str, Any], ref: Reference, at: KeyPath) -> Any:
        """The tensor `ref` names; an index must pick one of several outputs (a tensor would be sliced)."""
        value = values[ref.name]
        if ref.index is None:
            return value
        if not isinstance(value, (list, tuple)):
            raise PathProblem(at, f"{ref.name!r} has a single output, so {str(ref)!r} picks nothing; an index picks one output of a layer with several")
        if ref.index >= len(value):
            raise PathProblem(at, f"{str(ref)!r} is out of range: {ref.name!r} has {len(value)} outputs ({ref.name}[0] to {ref.name}[{len(value) - 1}])")
        return value[ref.index]

    def call_value(self, values: dict[str, Any], value: Any, at: KeyPath) -> Any:
        """`call:` values: strings name entries; lists and mappings of names become lists and dicts of tensors."""
        if isinstance(value, str):
            return self.value(values, Reference.parse(value), at)
        if call_texts(value) is None:
            return value
        if isinstance(value, dict):
            return {key: self.value(values, Reference.parse(text), at + (key,)) for key, text in value.items()}
        return [self.value(values, Reference.parse(text), at + (i,)) for i, text in enumerate(value)]

    def output(self, values: dict[str, Any], objects: dict[str, Any], name: str, plan: GraphPlan) -> Any:
        """An output tensor, named after the recipe's output entry.

        Keras names outputs after the layer that made them; loss and metric keys use the
        recipe entry's name. So a shared layer's second output, an `op:` result that
        returned an existing tensor and (in `model`) a block use's output get an Identity
        of the entry's name.
        """
        import keras

        (ref,) = plan.output_refs(name)
        value = self.value(values, ref, plan.path + ("outputs",))
        if name in plan.graph.inputs or (name in objects and getattr(objects[name], "name", None) == name):
            return value
        if getattr(getattr(getattr(value, "_keras_history", None), "operation", None), "name", None) == name:
            return value  # an `op:` entry's operation, named after it
        if name in plan.uses and plan.path != ("model",):
            return value  # a submodel's output names are its own business
        return keras.layers.Identity(name=name)(value)


def name_operation(result: Any, name: str, values: dict[str, Any]) -> None:
    """Name the operation an `op:` entry recorded after the entry, as Keras names a layer after
    its entry: summaries, plots and `kcfg import` then show the recipe's names. An op that
    returned an existing tensor (or a layer's) recorded nothing new and keeps its name."""
    import keras

    operation = getattr(getattr(result, "_keras_history", None), "operation", None)
    if operation is None or isinstance(operation, keras.layers.Layer):
        return
    earlier = {id(getattr(getattr(v, "_keras_history", None), "operation", None)) for v in values.values()}
    if id(operation) not in earlier:
        operation.name = name


def rule_note(step: Step) -> str:
    """What Keras's error cannot know: that the entry was called with keywords only, and why."""
    if step.rule != "keywords only":
        return ""
    return f" (called with keywords only: this entry has no `input:` and its `call:` names layers ({', '.join(step.calls)}); add `input:` for a positional input)"


def mixed_precision() -> bool:
    import keras

    return keras.mixed_precision.global_policy().name.startswith("mixed")


def build_model(loaded: LoadedRecipe, plugins: Plugins | None = None, adapter: Adapter | None = None) -> BuiltGraph:
    """The recipe's `model` as a `keras.Model`, with its plugins imported first (unless given).

    `adapter` adapts the `adapt:` layers on their data (the run stage's); without one they stay unadapted.

    Raises:
        RecipeError: a plugin failed to import, or Keras rejected a layer (on its line).
    """
    layer_count = sum(len(g.steps) for g in loaded.plan.graphs())
    # Keras walks a functional graph recursively, a few frames per layer of depth: deep
    # stacks (a 2,000-layer residual net) need more than Python's default of 1,000.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), FRAMES_PER_LAYER * layer_count + 1000))
    if plugins is None:
        plugins = load_plugins(loaded.recipe.plugins, loaded.file.parent, loaded.where)
    builder = GraphBuilder(loaded, ObjectFactory(plugins), adapter)
    return builder.build(loaded.plan.model, loaded.recipe.model.name or loaded.name)
