"""`kcfg import`: a saved Keras model's config -> a readable recipe that builds the same graph.

The inverse of the builder. Layers become named entries whose `input:` is written only
when it is not the previous entry; arguments are kept only where they differ from what
the class gives by default (compared by building a default instance); nested models
become submodels (identical ones share one definition); a layer called twice becomes a
`share:` entry. Only Keras classes, `keras.ops`/`keras.activations` functions and what the
given plugins define are allowed: anything else is named in one error.
"""

from __future__ import annotations

import inspect
import json
import zipfile
from pathlib import Path
from typing import Any, cast

import keras

from kcfg.builder.objects import ObjectFactory
from kcfg.importer.adapted import PLACEHOLDER_DATA, SavedState, is_adapted
from kcfg.importer.arguments import ArgumentWriter, is_model, plain_config
from kcfg.importer.compile_config import compile_section
from kcfg.importer.operations import Ref, is_operation, operation_entry


class ImportProblem(Exception):
    """The model uses something a recipe cannot name."""


def read_model_config(path: Path) -> dict[str, Any]:
    """The serialized model from a `.keras` file (its config.json), without loading weights."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise ImportProblem(f"{path} is not a .keras model file ({exc})") from exc
    if not isinstance(config, dict):
        raise ImportProblem(f"{path}: its config.json holds a {type(config).__name__}, not a saved model")
    return config


class ModelImporter:
    """Turns one serialized model (and the models nested in it) into recipe data."""

    def __init__(self, factory: ObjectFactory, adapted: str = "adapt", state: SavedState | None = None) -> None:
        self.factory = factory
        self.adapted = adapted  # "adapt" or "values": how adapted preprocessing layers are written
        self.state = state
        self.nested = 0  # depth of the submodel being imported; only layers of `model` adapt
        self.submodels: dict[str, dict[str, Any]] = {}
        self.signatures: dict[str, str] = {}  # json of a graph -> its submodel name
        self.unknown: list[str] = []
        self.arguments = ArgumentWriter(factory, self.unknown, self.submodel)

    def recipe(self, serialized: dict[str, Any]) -> dict[str, Any]:
        graph = self.graph(serialized)
        data: dict[str, Any] = {"name": serialized["config"].get("name", "imported")}
        if self.submodels:
            data["submodels"] = self.submodels
        data["model"] = graph
        if any("adapt" in spec for spec in graph["layers"].values()):
            data["data"] = PLACEHOLDER_DATA
        if serialized.get("compile_config"):
            outputs = graph.get("outputs") or [next(reversed(graph["layers"]))]
            data["compile"] = compile_section(serialized["compile_config"], outputs, self.arguments)
        if self.unknown:
            raise ImportProblem("not Keras classes and not from a plugin: " + ", ".join(self.unknown) + " (give the module that defines them with --plugin)")
        return data

    # ------------------------------------------------------------------ graphs

    def graph(self, serialized: dict[str, Any]) -> dict[str, Any]:
        config = serialized["config"]
        if serialized.get("class_name") == "Sequential":
            return self.sequential(config)
        inputs: dict[str, Any] = {}
        layers: dict[str, dict[str, Any]] = {}
        entries: dict[tuple[str, int], str] = {}
        several = self.multi_output_nodes(config["layers"])
        input_names = [layer["config"]["name"] for layer in config["layers"] if layer["class_name"] == "InputLayer"]
        only_input = input_names[0] if len(input_names) == 1 else None
        for layer in config["layers"]:
            name = layer["config"].get("name", layer.get("name"))
            if layer["class_name"] == "InputLayer":
                inputs[name] = self.input_spec(layer["config"])
                entries[(name, 0)] = name
                continue
            for k, node in enumerate(layer.get("inbound_nodes", [])):
                entry = name if k == 0 else self.unique(f"{name}_{k}", layers, inputs)
                entries[(name, k)] = entry
                if is_operation(layer):
                    layers[entry] = self.operation(layer, node, entries, several, next(reversed(layers), only_input))
                    continue
                layers[entry] = self.layer_spec(layer) if k == 0 else {"share": name}
                self.connect(layers, entry, node, entries, several, layer, only_input)
        outputs = [self.reference(ref, entries, several) for ref in _histories_of(config.get("output_layers"))]
        order = [ref[0] for ref in _histories_of(config.get("input_layers")) if ref[0] in inputs]
        inputs = {name: inputs[name] for name in order + [n for n in inputs if n not in order]}  # as the model takes them
        graph: dict[str, Any] = {"inputs": inputs, "layers": layers}
        if outputs and outputs != [next(reversed(layers))]:
            graph["outputs"] = outputs
        return graph

    def sequential(self, config: dict[str, Any]) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        layers: dict[str, dict[str, Any]] = {}
        for layer in config["layers"]:
            if layer["class_name"] == "InputLayer":
                inputs[layer["config"]["name"]] = self.input_spec(layer["config"])
            else:
                layers[layer["config"]["name"]] = self.layer_spec(layer)
        if not inputs and config.get("build_input_shape"):
            inputs["input"] = self.input_spec({"batch_shape": config["build_input_shape"]})
        if not inputs:
            raise ImportProblem("a Sequential model without an input shape cannot become a recipe; build it first")
        return {"inputs": inputs, "layers": layers}

    @staticmethod
    def unique(name: str, *taken: dict[str, Any]) -> str:
        candidate, i = name, 1
        while any(candidate in t for t in taken):
            i += 1
            candidate = f"{name}_{i}"
        return candidate

    @staticmethod
    def input_spec(config: dict[str, Any]) -> Any:
        shape = plain_config(config.get("batch_shape") or [None, *config.get("shape", [])])
        spec: dict[str, Any] = {"shape": shape[1:]}
        dtype = config.get("dtype")
        if isinstance(dtype, dict):
            dtype = dtype.get("config", {}).get("name")
        if dtype and dtype != "float32":
            spec["dtype"] = dtype
        if config.get("sparse"):
            spec["sparse"] = True
        if shape[0] is not None:
            spec["batch_size"] = shape[0]
        return spec if len(spec) > 1 else spec["shape"]

    # ------------------------------------------------------------------ connections

    @staticmethod
    def histories(value: Any) -> list[list[Any]]:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                return [value["config"]["keras_history"]]
            return [h for v in value.values() for h in ModelImporter.histories(v)]
        if isinstance(value, (list, tuple)):
            return [h for v in value for h in ModelImporter.histories(v)]
        return []

    def multi_output_nodes(self, layers: list[dict[str, Any]]) -> set[tuple[str, int]]:
        """(layer, node) pairs whose call returns several tensors: they are referenced as `name[i]`."""
        several: set[tuple[str, int]] = set()
        for layer in layers:
            for history in self.histories(layer.get("inbound_nodes", [])):
                if history[2] > 0:
                    several.add((history[0], history[1]))
            if layer["config"].get("return_state") or (is_model(layer) and len(plain_config(layer["config"].get("output_layers", []))) > 1 and isinstance(plain_config(layer["config"]["output_layers"])[0], list)):
                several.update((layer["config"].get("name", layer.get("name")), k) for k in range(len(layer.get("inbound_nodes", [])) or 1))
        return several

    def reference(self, history: list[Any], entries: dict[tuple[str, int], str], several: set[tuple[str, int]]) -> str:
        name, node, index = history[0], history[1], history[2]
        entry = entries.get((name, node), name)
        return f"{entry}[{index}]" if (name, node) in several else entry

    def tensor_value(self, value: Any, entries: dict[tuple[str, int], str], several: set[tuple[str, int]]) -> Any:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return self.reference(value["config"]["keras_history"], entries, several)
        if isinstance(value, (list, tuple)):
            return [self.tensor_value(v, entries, several) for v in value]
        return plain_config(value)

    def connect(self, layers: dict[str, dict[str, Any]], entry: str, node: dict[str, Any], entries: dict[tuple[str, int], str], several: set[tuple[str, int]], layer: dict[str, Any], only_input: str | None) -> None:
        """Write `input:` (unless it is the previous entry) and `call:` for one call of a layer.

        A layer called with keywords only (`mha(query=q, value=v)`) is written without
        `input:`, so it is called with keywords only again and Keras records the same call;
        otherwise `input:` is written whenever `call:` names tensors, since an entry without
        it would be called with keywords only.
        """
        names = self.call_parameters(layer)
        kwargs = dict(node.get("kwargs", {}))
        positional = list(node.get("args", []))
        args = [self.tensor_value(a, entries, several) for a in positional]
        # Keras records `training=False` on every symbolic call of a layer that takes it
        call = {k: self.tensor_value(v, entries, several) for k, v in kwargs.items() if v is not None and not (k == "training" and v is False)}
        spec = layers[entry]
        if len(args) > 1:  # extra positional tensors (MultiHeadAttention(q, v)) by their call names
            call = {**dict(zip(names[1:], args[1:])), **call}
        if args:
            entries_so_far = list(layers)
            previous = entries_so_far[-2] if len(entries_so_far) > 1 else None
            implicit = args[0] == previous or (previous is None and args[0] == only_input)
            if not implicit or len(positional) > 1 or self.histories(kwargs):
                spec["input"] = args[0]
        if call:
            spec["call"] = call

    def call_parameters(self, layer: dict[str, Any]) -> list[str]:
        try:
            cls = self.factory.keras_class("layers", layer["class_name"])
        except ValueError:
            return []
        return [p for p in inspect.signature(cast(Any, cls).call).parameters if p != "self"]

    # ------------------------------------------------------------------ layers and arguments

    def layer_spec(self, layer: dict[str, Any]) -> dict[str, Any]:
        if is_model(layer):
            return {"type": self.submodel(layer)}
        class_name = layer["class_name"]
        try:
            self.factory.keras_class("layers", class_name)
        except ValueError:
            self.unknown.append(f"{layer['config'].get('name')} ({class_name})")
            return {"type": class_name}
        spec = {"type": class_name, **self.arguments.arguments("layers", class_name, layer["config"])}
        if is_adapted(class_name, layer["config"]):
            spec.update(self.adapted_state(layer["config"].get("name", "")))
        return spec

    def adapted_state(self, name: str) -> dict[str, Any]:
        """`adapt: train`, or the saved state as arguments (always in submodels, which cannot adapt)."""
        if self.adapted == "adapt" and not self.nested:
            return {"adapt": "train"}
        if self.state is None:
            self.unknown.append(f"{name} (adapted state, which only the .keras file holds)")
            return {}
        return self.state.arguments(name)

    def operation(self, layer: dict[str, Any], node: dict[str, Any], entries: dict[tuple[str, int], str], several: set[tuple[str, int]], previous: str | None) -> dict[str, Any]:
        """An `op:` entry; `input:` left out when it is just the previous entry (or the only input)."""

        def operand(value: Any) -> Any:
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                return Ref(self.reference(value["config"]["keras_history"], entries, several))
            return [operand(v) for v in value] if isinstance(value, (list, tuple)) else plain_config(value)

        keywords = node.get("kwargs", {})
        for key, value in keywords.items():
            if self.histories(value):
                self.unknown.append(f"{layer['config'].get('name')} (a tensor passed to keras.ops {layer['class_name']} as {key!r})")
        entry = operation_entry(layer, [operand(a) for a in node.get("args", [])], keywords, self.unknown)
        if entry["input"] == [previous]:
            del entry["input"]
        elif len(entry["input"]) == 1 and isinstance(entry["input"][0], str):
            entry["input"] = entry["input"][0]
        return entry

    def submodel(self, layer: dict[str, Any]) -> str:
        self.nested += 1
        graph = self.graph(layer)
        self.nested -= 1
        signature = json.dumps(graph, sort_keys=True)
        if signature not in self.signatures:
            name = layer["config"].get("name", "submodel")
            while name in self.submodels or keras.layers.__dict__.get(name) is not None:
                name += "_model"
            self.signatures[signature] = name
            self.submodels[name] = graph
        return self.signatures[signature]

def _histories_of(refs: Any) -> list[list[Any]]:
    """A model's `input_layers`/`output_layers` (one `[name, node, index]`, a list or a dict of them) as a list."""
    refs = plain_config(refs or [])
    if isinstance(refs, dict):
        return list(refs.values())
    return [refs] if refs and isinstance(refs[0], str) else list(refs)


def import_recipe(serialized: dict[str, Any], factory: ObjectFactory, adapted: str = "adapt", state: SavedState | None = None) -> dict[str, Any]:
    """Recipe data for a serialized Keras model (`config.json` of a `.keras` file).

    Args:
        adapted: "adapt" writes adapted preprocessing layers as `adapt: train` (and
            placeholder training data), "values" writes their state, read from `state`.
        state: the saved file's adapted state; without it, "values" cannot be written.
    """
    if not is_model(serialized):
        raise ImportProblem(f"the file holds a {serialized.get('class_name')}, not a functional or Sequential model")
    return ModelImporter(factory, adapted, state).recipe(serialized)
