"""What makes two Keras models the same architecture, for comparing kcfg's builds with hand-written ones."""

from __future__ import annotations

from typing import Any


def _histories(node: Any) -> list[str]:
    """Names of the layers whose tensors appear in a serialized inbound node."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return [node["config"]["keras_history"][0]]
        return [name for value in node.values() for name in _histories(value)]
    if isinstance(node, (list, tuple)):
        return [name for value in node for name in _histories(value)]
    return []


def _feeds(model: Any, nested: bool) -> dict[str, list[str]]:
    """Layer or operation name -> the names that feed it.

    A Sequential's config has no inbound nodes (its order is its connections), and a nested
    model's inputs have generated names: both are written as `<input i>`, so a Sequential
    and the functional model kcfg builds for it compare equal.
    """
    config = model.get_config()
    if all("inbound_nodes" not in layer for layer in config["layers"]):
        names = [layer.name for layer in model.layers]
        return {name: [feed] for feed, name in zip(["<input 0>", *names], names)}
    inputs = [t._keras_history.operation.name for t in model.inputs]
    rename = {name: f"<input {i}>" for i, name in enumerate(inputs)} if nested else {}
    return {
        rename.get(layer["name"], layer["name"]): [rename.get(n, n) for n in _histories(layer["inbound_nodes"])]
        for layer in config["layers"]
        if not (nested and layer["name"] in rename)
    }


def _kind(layer: Any) -> str:
    """The layer's class; nested models (a Sequential, or the functional model kcfg makes of one) as `Model`."""
    return "Model" if hasattr(layer, "layers") else type(layer).__name__


def structure(model: Any, nested: bool = False) -> dict[str, Any]:
    """Parameter counts, inputs, layer names and classes in order, output shapes, and who feeds whom.

    Nested models are described recursively under their layer's name.
    """
    return {
        "params": model.count_params(),
        "trainable": sum(int(w.numpy().size) for w in model.trainable_weights),
        "inputs": [] if nested else [t._keras_history.operation.name for t in model.inputs],
        "layers": [(layer.name, _kind(layer)) for layer in model.layers if not (nested and type(layer).__name__ == "InputLayer")],
        "feeds": _feeds(model, nested),
        "outputs": [tuple(t.shape) for t in model.outputs],
        "nested": {layer.name: structure(layer, nested=True) for layer in model.layers if hasattr(layer, "layers")},
    }
