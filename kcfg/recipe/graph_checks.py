"""Static checks of the planned layer graphs (`model` and `submodels`), done before TensorFlow is imported."""

from __future__ import annotations

from kcfg.recipe.catalog import keras_class
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import walk_arguments
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.plan import GraphPlan, RecipePlan, Step
from kcfg.recipe.suggest import did_you_mean

RESERVED_KEYS = ("type", "input", "call", "share", "adapt")


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
            if name not in graph.inputs and name not in graph.layers:
                out_path = planned.path + ("outputs",) + ((i,) if isinstance(graph.outputs, list) else ())
                self.report.error(out_path, f"output {name!r} is not a layer{did_you_mean(name, graph.layers)}", key=planned.path + ("outputs",))
        self.check_cycles(planned)
        if len(self.report.problems) == errors_before:  # after an error, unused-layer warnings are mostly its echo
            self.check_unused(planned)

    def check_references(self, planned: GraphPlan, step: Step) -> None:
        """Every name the entry reads (input, call keywords, share) must exist."""
        graph, path = planned.graph, planned.step_path(step.name)
        if step.rule == "model input" and len(graph.inputs) > 1:
            self.report.error(path, f"the first layer needs `input:`: the model has several inputs ({', '.join(graph.inputs)})")
        share = step.spec.share
        if share == step.name:
            self.report.error(path + ("share",), "a layer cannot share itself; name another layer", key=path)
        elif share is not None and share not in graph.layers:
            self.report.error(path + ("share",), f"{share!r} is not a layer{did_you_mean(share, graph.layers)}", key=path)
        names = [*graph.inputs, *graph.layers]
        for key, ref in step.reads():
            if ref.name == step.name:
                if step.name not in graph.inputs:  # else it is reported as a name clash
                    self.report.error(path + key, f"layer {step.name!r} reads its own output", key=path)
            elif ref.name not in graph.inputs and ref.name not in graph.layers:
                self.report.error(path + key, f"{ref.name!r} is not an input or layer{did_you_mean(ref.name, names)}", key=path)

    def check_layer(self, planned: GraphPlan, step: Step) -> None:
        spec, path = step.spec, planned.step_path(step.name)
        args = spec.arguments
        if spec.share is not None:
            if spec.type is not None or args:
                extra = ", ".join(["type", *args] if spec.type is not None else args)
                self.report.error(path, f"a `share:` entry reuses {spec.share!r} as it is; remove {extra}")
            return
        if spec.type is None:
            self.report.error(path, "needs `type:` (a keras.layers class, a submodel or a plugin class) or `share:`")
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
        walk_arguments(args, path, self.objects)
        self.objects.check_arguments(spec.type, info, args, path, reserved=RESERVED_KEYS)
        if spec.type == "Lambda" and "function" in args:
            self.objects.check_lambda_function(args["function"], path + ("function",))
        if spec.call and info.call is not None and not info.call_open:
            for key in spec.call:
                if key not in info.call:
                    self.report.error(path + ("call", key), f"{spec.type}.call has no argument {key!r}{did_you_mean(key, info.call)}", key=path)

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
        todo = [name for name in planned.outputs if name in graph.layers or name in graph.inputs]
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            if name in planned.steps:
                todo.extend(planned.steps[name].depends_on())
        for layer in graph.layers:
            if layer not in reached:
                self.report.warn(planned.step_path(layer), f"nothing reads layer {layer!r}: it is not on a path to an output")
        for name in graph.inputs:
            if name not in reached:
                self.report.warn(planned.path + ("inputs", name), f"input {name!r} is not used by any output")
