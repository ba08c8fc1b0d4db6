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


def structure(model: Any) -> dict[str, Any]:
    """Parameter counts, layer names and classes in order, output shapes, and who feeds whom.

    Nested models are described recursively under their layer's name.
    """
    config = model.get_config()
    feeds = {layer["name"]: _histories(layer["inbound_nodes"]) for layer in config["layers"]}
    return {
        "params": model.count_params(),
        "trainable": sum(int(w.numpy().size) for w in model.trainable_weights),
        "layers": [(layer.name, type(layer).__name__) for layer in model.layers],
        "feeds": feeds,
        "outputs": [tuple(t.shape) for t in model.outputs],
        "nested": {layer.name: structure(layer) for layer in model.layers if hasattr(layer, "layers")},
    }
