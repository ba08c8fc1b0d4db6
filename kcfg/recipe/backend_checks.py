"""What a recipe asks of its Keras backend: TensorFlow-only layers, strategies and dtypes under `runtime.backend: jax`.

Keras 3 recipes are backend-neutral except where Keras itself is not. Measured with Keras 3.15
on JAX: `TextVectorization` and `StringLookup` fail inside a model (JAX has no string
tensors; Keras says they "use TensorFlow internally"), so does any `dtype: string` input;
`TFSMLayer` and `BatchNormalization(synchronized=True)` refuse to be made. `IntegerLookup`,
`Hashing`, `HashedCrossing`, `Discretization` and `CategoryEncoding` work (eagerly where they
cannot be compiled). Data is not restricted: Keras feeds `tf.data` on every backend.
"""

from __future__ import annotations

from typing import Any

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.grammar import walk
from kcfg.recipe.plan import RecipePlan
from kcfg.recipe.report import Report
from kcfg.recipe.schema import DistributeSpec, Recipe

#: Layers Keras runs only on TensorFlow inside a model, with the reason.
TENSORFLOW_ONLY_LAYERS = {
    "TextVectorization": "takes strings, which JAX has no tensors for",
    "StringLookup": "takes or gives strings, which JAX has no tensors for",
    "TFSMLayer": "wraps a TensorFlow SavedModel",
}
#: tf.distribute strategies: TensorFlow backend only.
TENSORFLOW_STRATEGIES = ("mirrored", "multi_worker", "tpu", "parameter_server")


class _LayerTypes:
    """A grammar visitor collecting every layer class a value names, nested ones (`Bidirectional.layer`) too."""

    def __init__(self) -> None:
        self.found: list[tuple[str, KeyPath]] = []

    def named(self, name: str, category: str, path: KeyPath) -> None:
        if category == "layers":
            self.found.append((name, path))

    def made(self, class_name: str, arguments: dict[str, Any], category: str, path: KeyPath) -> None:
        if category == "layers":
            self.found.append((class_name, path + ("type",)))

    def factory(self, function: str, arguments: dict[str, Any], category: str, path: KeyPath) -> None:
        return None

    def plain(self, value: Any, path: KeyPath) -> None:
        return None


class BackendChecker:
    """Checks the runtime section against the backend, and the graphs against what JAX can run."""

    def __init__(self, report: Report, recipe: Recipe, plan: RecipePlan) -> None:
        self.report = report
        self.recipe = recipe
        self.plan = plan

    def check_all(self) -> None:
        self.check_strategy()
        if self.recipe.runtime.backend == "jax":
            self.check_graphs_for_jax()

    def check_strategy(self) -> None:
        runtime = self.recipe.runtime
        spec, path = runtime.spec, ("runtime", "distribute")
        where = path + ("strategy",) if isinstance(runtime.distribute, DistributeSpec) else path
        if runtime.backend == "jax" and spec.strategy in TENSORFLOW_STRATEGIES:
            self.report.error(where, f"{spec.strategy} is a TensorFlow strategy; on the JAX backend use data_parallel (or set runtime.backend: tensorflow)")
        if runtime.backend == "tensorflow" and spec.strategy == "data_parallel":
            self.report.error(where, "data_parallel runs on the JAX backend: set runtime.backend: jax")
        if spec.processes is not None and spec.strategy != "data_parallel":
            self.report.error(path + ("processes",), "processes is for data_parallel (several machines: see README)", key=path)
        if spec.devices is not None and spec.strategy != "mirrored":
            self.report.error(path + ("devices",), "devices is for mirrored", key=path)
        batch = self.recipe.fit.batch_size
        if spec.strategy == "data_parallel" and batch is not None and batch % runtime.processes:
            self.report.error(("fit", "batch_size"), f"the global batch ({batch}) must divide evenly among the {runtime.processes} data_parallel processes")

    def check_graphs_for_jax(self) -> None:
        for planned in [self.plan.model, *self.plan.submodels.values()]:
            for name, spec in planned.graph.inputs.items():
                if spec.dtype == "string":
                    self.report.error(planned.path + ("inputs", name, "dtype"), "string inputs need the TensorFlow backend (JAX has no string tensors): set runtime.backend: tensorflow")
            for name, step in planned.steps.items():
                if step.spec.type is None:
                    continue
                visitor = _LayerTypes()
                path = planned.step_path(name)
                walk({"type": step.spec.type, **step.spec.arguments}, "layers", path, visitor)
                for class_name, at in visitor.found:
                    if class_name in TENSORFLOW_ONLY_LAYERS:
                        self.report.error(at, f"{class_name} {TENSORFLOW_ONLY_LAYERS[class_name]}: it runs only on the TensorFlow backend (set runtime.backend: tensorflow, or use it in the data pipeline)")
                if step.spec.type == "BatchNormalization" and step.spec.arguments.get("synchronized") is True:
                    self.report.error(path + ("synchronized",), "synchronized BatchNormalization is TensorFlow-only; under data_parallel on JAX its statistics are global already: remove it", key=path)
