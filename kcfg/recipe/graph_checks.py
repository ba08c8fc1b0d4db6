"""Static checks of the planned layer graphs (`model` and `submodels`), done before TensorFlow is imported."""

from __future__ import annotations

from typing import Any

from kcfg.recipe.catalog import ClassInfo, keras_class
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import walk_arguments
from kcfg.recipe.graph_scope import unknown_name
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.plan import GraphPlan, RecipePlan, Reference, Step
from kcfg.recipe.suggest import did_you_mean

RESERVED_KEYS = ("type", "input", "call", "share", "adapt", "block", "repeat", "op")
#: Recurrent layers -> how many state tensors `return_state: true` adds to the output.
RNN_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1, "ConvLSTM1D": 2, "ConvLSTM2D": 2, "ConvLSTM3D": 2}


class GraphChecker:
    """Checks every graph of a recipe against the others (submodels) and the catalog."""

    def __init__(self, objects: ObjectChecker, plan: RecipePlan) -> None:
        self.objects = objects
        self.report = objects.report
        self.plan = plan

    def check_all(self) -> None:
        for name, planned in self.plan.submodels.items():
            if keras_class("layers", name) is not None:
                self.report.error(("submodels", name), f"submodel {name!r} has the name of a Keras layer; rename it")
            if planned.graph.name is not None:  # two instances with one Keras name would clash in the model
                self.report.error(("submodels", name, "name"), "each instance of a submodel is named after the layer entry that uses it; remove `name:`", key=("submodels", name))
        self.check_submodel_cycles()
        for planned in [self.plan.model, *self.plan.submodels.values()]:
            self.check_graph(planned)

    def check_submodel_cycles(self) -> None:
        uses = {name: [(s.name, s.spec.type) for s in p.steps.values() if s.spec.type in self.plan.submodels] for name, p in self.plan.submodels.items()}
        state: dict[str, str] = {}

        def visit(name: str, chain: list[str]) -> None:
            state[name] = "visiting"
            for layer, used in uses[name]:
                assert used is not None
                if state.get(used) == "visiting":
                    cycle = " -> ".join([*chain[chain.index(used):], used]) if used in chain else f"{name} -> {used}"
                    self.report.error(("submodels", name, "layers", layer, "type"), f"submodels use each other in a cycle: {cycle}", key=("submodels", name, "layers", layer))
                elif used not in state:
                    visit(used, [*chain, used])
            state[name] = "done"

        for name in self.plan.submodels:
            if name not in state:
                visit(name, [name])

    def check_graph(self, planned: GraphPlan) -> None:
        graph = planned.graph
        errors_before = len(self.report.problems)
        for name in graph.inputs:
            if name in graph.layers:
                self.report.error(planned.step_path(name), f"name {name!r} is used by an input and a layer; names must be unique")
        for step in planned.steps.values():
            self.check_layer(planned, step)
            self.check_references(planned, step)
        for i, name in enumerate(planned.outputs):
            out_path = planned.path + ("outputs",) + ((i,) if isinstance(graph.outputs, list) else ())
            if name not in graph.inputs and name not in planned.steps and name not in planned.uses:
                self.report.error(out_path, f"output {name!r} is not a layer{did_you_mean(name, [*graph.layers, *planned.steps])}", key=planned.path + ("outputs",))
            elif name in planned.uses and len(planned.uses[name]) > 1:
                names = ", ".join(map(str, planned.uses[name]))
                self.report.error(out_path, f"output {name!r} is a block use with {len(planned.uses[name])} outputs; list them as outputs by their expanded names ({names})", key=planned.path + ("outputs",))
        self.check_cycles(planned)
        if len(self.report.problems) == errors_before:  # after an error, unused-layer warnings are mostly its echo
            self.check_unused(planned)

    def check_references(self, planned: GraphPlan, step: Step) -> None:
        """Every name the entry reads (input, call keywords, share) must exist; indices must be in range."""
        graph, path = planned.graph, planned.step_path(step.name)
        if step.rule == "model input" and len(graph.inputs) > 1:
            self.report.error(path, f"the first layer needs `input:`: the model has several inputs ({', '.join(graph.inputs)})")
        share = step.spec.share
        if share == step.name:
            self.report.error(path + ("share",), "a layer cannot share itself; name another layer", key=path)
        elif share is not None and share not in planned.steps:
            self.report.error(path + ("share",), f"{share!r} is not a layer{did_you_mean(share, planned.steps)}", key=path)
        for key, ref in step.reads():
            if ref.name == step.name:
                if step.name not in graph.inputs:  # else it is reported as a name clash
                    self.report.error(path + key, f"layer {step.name!r} reads its own output", key=path)
            elif ref.name not in graph.inputs and ref.name not in planned.steps:
                self.report.error(path + key, unknown_name(ref.name, [*graph.inputs, *graph.layers]), key=path)
            elif ref.index is not None:
                self.check_index(planned, ref, path + key, path)

    def check_index(self, planned: GraphPlan, ref: Reference, at: KeyPath, key: KeyPath) -> None:
        """`name[i]` where the number of outputs is known before building (inputs, submodels, recurrent states)."""
        count, why = self.output_count(planned, ref.name)
        if count == 1:
            self.report.error(at, f"{ref.name!r} has a single output, so {str(ref)!r} picks nothing{why}; an index picks one output of a layer with several", key=key)
        elif count is not None and ref.index is not None and ref.index >= count:
            self.report.error(at, f"{str(ref)!r} is out of range: {ref.name!r} has {count} outputs ({ref.name}[0] to {ref.name}[{count - 1}]){why}", key=key)

    def output_count(self, planned: GraphPlan, name: str) -> tuple[int | None, str]:
        """How many outputs an entry has, when the recipe says (and why), else None."""
        step = planned.steps.get(name)
        if step is None:
            return (1, "") if name in planned.graph.inputs else (None, "")
        spec = step.spec
        if spec.type in self.plan.submodels:
            return len(self.plan.submodels[spec.type].outputs), f" (submodel {spec.type!r})"
        layer = spec.arguments.get("layer") if spec.type == "Bidirectional" else None
        wrapped = layer.get("type") if isinstance(layer, dict) else layer
        rnn, args, copies = (wrapped, layer, 2) if isinstance(wrapped, str) and isinstance(layer, dict) else (spec.type, spec.arguments, 1)
        if rnn in RNN_STATES:
            if args.get("return_state") is True:
                return 1 + copies * RNN_STATES[rnn], f" ({spec.type} with return_state: true: the output and {copies * RNN_STATES[rnn]} states)"
            if "return_state" not in args or args["return_state"] is False:
                return 1, f" ({spec.type} without return_state: true)"
        return None, ""

    def check_layer(self, planned: GraphPlan, step: Step) -> None:
        spec, path = step.spec, planned.step_path(step.name)
        args = spec.arguments
        if spec.repeat is not None:
            self.report.error(path + ("repeat",), "`repeat:` copies a block; it goes with `block:`", key=path)
        if spec.op is not None:
            self.check_op(spec, path)
            return
        if spec.input is not None and not all(isinstance(item, str) for item in spec.input):
            self.report.error(path + ("input",), "a layer's `input:` names layers or inputs; numbers and nested lists are for `op:` entries", key=path)
        if spec.share is not None:
            if spec.type is not None or args:
                extra = ", ".join(["type", *args] if spec.type is not None else args)
                self.report.error(path, f"a `share:` entry reuses {spec.share!r} as it is; remove {extra}")
            return
        if spec.type is None:
            self.report.error(path, "needs `type:` (a keras.layers class, a submodel or a plugin class), `share:`, `block:` or `op:`")
            return
        if "name" in args:
            self.report.error(path + ("name",), "a layer's name is its key under `layers`; remove `name:`", key=path)
            args = {k: v for k, v in args.items() if k != "name"}
        if spec.type in self.plan.submodels:
            self.check_submodel_use(step, path)
            return
        info = self.objects.class_info(spec.type, "layers", path + ("type",))
        if info is None:
            return
        if spec.type in self.objects.plugins.classes and not info.open:
            self.report.error(path + ("type",), f"plugin class {spec.type!r}: its __init__ takes no **kwargs, but Keras passes `name` (and `trainable`, `dtype` when it reloads the model); write `def __init__(self, ..., **kwargs)` and call `super().__init__(**kwargs)`", key=path)
        walk_arguments(args, path, self.objects)
        self.objects.check_arguments(spec.type, info, args, path, reserved=RESERVED_KEYS)
        if spec.type == "Lambda" and "function" in args:
            self.objects.check_function(args["function"], path + ("function",))
        self.check_call(step, info, path)

    def check_call(self, step: Step, info: ClassInfo, path: KeyPath) -> None:
        spec = step.spec
        if not spec.call or info.call is None or info.call_open:
            return
        for key in spec.call:
            if key not in info.call:
                self.report.error(path + ("call", key), f"{spec.type}.call has no argument {key!r}{did_you_mean(key, info.call)}", key=path)
        if step.rule == "keywords only" and info.call and info.call[0] not in spec.call:
            self.report.error(path, f"{spec.type} is called with keywords only ({', '.join(spec.call)}): this entry has no `input:` and its `call:` names layers, so nothing is passed as {spec.type}.call's {info.call[0]!r}; add `input:`")

    def check_op(self, spec: Any, path: KeyPath) -> None:
        """`{op: keras.ops.NAME, input: [...], arguments: {...}}`: a function called on tensors, not a layer."""
        extra = [key for key in ("type", "share", "call") if getattr(spec, key) is not None] + [key for key in spec.arguments if key != "arguments"]
        for key in extra:
            where = "remove it" if key in RESERVED_KEYS else "put it under `arguments:`"
            self.report.error(path + (key,), f"an `op:` entry takes `input:` and `arguments:` (the function's keyword arguments); {key!r} is neither: {where}", key=path)
        self.objects.check_function(spec.op, path + ("op",), owner="op")
        arguments = spec.arguments.get("arguments", {})
        if isinstance(arguments, dict):
            self.objects.plain(arguments, path + ("arguments",))
        else:
            self.report.error(path + ("arguments",), "`arguments:` is a mapping of the function's keyword arguments", key=path)

    def check_submodel_use(self, step: Step, path: KeyPath) -> None:
        spec = step.spec
        assert spec.type is not None
        if spec.arguments:
            self.report.error(path, f"submodel {spec.type!r} takes no arguments ({', '.join(spec.arguments)}); change submodels.{spec.type} instead")
        expected = len(self.plan.submodels[spec.type].graph.inputs)
        if len(step.inputs) != expected and step.rule != "model input":
            self.report.error(path, f"submodel {spec.type!r} takes {expected} input(s), this entry gives {len(step.inputs)}")

    def check_cycles(self, planned: GraphPlan) -> None:
        edges = {name: [ref.name for _, ref in step.reads() if ref.name != name] for name, step in planned.steps.items()}
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
                        self.report.error(planned.step_path(nxt), f"the layers form a cycle: {cycle}")
                    elif nxt not in state:
                        state[nxt] = 1
                        stack.append((nxt, 0))
                        chain.append(nxt)
                else:
                    state[node] = 2
                    stack.pop()
                    chain.pop()

    def check_unused(self, planned: GraphPlan) -> None:
        graph = planned.graph
        reached: set[str] = set()
        todo = [ref.name for name in planned.outputs for ref in planned.output_refs(name)]
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            if name in planned.steps:
                todo.extend(planned.steps[name].depends_on())
        for layer in planned.steps:
            if layer not in reached:
                self.report.warn(planned.step_path(layer), f"nothing reads layer {layer!r}: it is not on a path to an output")
        for name in graph.inputs:
            if name not in reached:
                self.report.warn(planned.path + ("inputs", name), f"input {name!r} is not used by any output")
