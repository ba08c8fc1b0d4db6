"""Preprocessing layers whose state came from `adapt()`: `kcfg import --adapted adapt|values`.

An adapted vocabulary or mean is not in a saved model's config (it is in the file's assets
and weights), so the config alone cannot rebuild the layer. `adapt` writes `adapt: train`
with a comment, so `kcfg train` learns the state again from the recipe's data; `values`
loads the saved model and writes the state as the constructor arguments Keras takes
(`vocabulary:`, `mean:`/`variance:`), so the recipe alone rebuilds the same layer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import keras

from kcfg.importer.arguments import short_float

#: Class -> the constructor arguments that hold its state; `None` in a saved config means adapted.
#: (Discretization saves its adapted `bin_boundaries` in its config, so it needs nothing here.)
STATE_ARGUMENTS = {
    "StringLookup": ("vocabulary",),
    "IntegerLookup": ("vocabulary",),
    "TextVectorization": ("vocabulary",),
    "Normalization": ("mean", "variance"),
}

#: What `adapt` mode writes on an adapted layer's line, and on the data it adapts on.
ADAPT_COMMENT = "# adapted in the saved model: kcfg train adapts it on data.train (kcfg import --adapted values writes the state)"
DATA_COMMENT = "# the data the preprocessing layers adapt on: give your training data here"
PLACEHOLDER_DATA = {"train": {"source": "synthetic"}}


def is_adapted(class_name: str, config: dict[str, Any]) -> bool:
    """A preprocessing layer whose state is not in its config (it was adapted)."""
    keys = STATE_ARGUMENTS.get(class_name, ())
    return bool(keys) and config.get(keys[0]) is None


class SavedState:
    """The adapted state of the layers of one `.keras` file, read by loading it once, when first asked."""

    def __init__(self, path: Path, plugins: dict[str, Any]) -> None:
        self.path = path
        self.plugins = plugins
        self.layers: dict[str, Any] | None = None

    def arguments(self, name: str) -> dict[str, Any]:
        """Constructor arguments that give layer `name` the state it was saved with."""
        if self.layers is None:
            model = keras.saving.load_model(self.path, custom_objects=self.plugins, compile=False)
            self.layers = {layer.name: layer for layer in model._flatten_layers(include_self=False)}
        layer = self.layers[name]
        if isinstance(layer, keras.layers.Normalization):
            return {"mean": short_float_list(layer.adapt_mean), "variance": short_float_list(layer.adapt_variance)}
        return {"vocabulary": [str(v) if isinstance(v, str) else int(v) for v in layer.get_vocabulary(include_special_tokens=False)]}


def short_float_list(variable: Any) -> Any:
    values = keras.ops.convert_to_numpy(variable).tolist()
    return [short_float(v) for v in values] if isinstance(values, list) else short_float(values)


def comment_adapted(text: str) -> str:
    """The YAML of an imported recipe with `adapt: train` lines and the placeholder data commented."""
    text = re.sub(r"^(.*\badapt: train\b.*)$", rf"\1  {ADAPT_COMMENT}", text, flags=re.M)
    return re.sub(r"^data:$", f"data:  {DATA_COMMENT}", text, count=1, flags=re.M)
