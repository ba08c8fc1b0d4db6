"""Adapting preprocessing layers (RECIPE.md section 4.2) on the values that reach them.

A Keras script calls `layer.adapt(data)` before it calls the layer on a tensor, because
the adapted state (a vocabulary, a mean) can decide the layer's output shape. The builder
does the same: as it meets an `adapt:` entry, it hands the layer and the tensor the layer
reads to `Adaptation`, which feeds the named split's model inputs through a sub-model from
the model's inputs to that tensor (or takes the input itself when the layer reads one) and
adapts the layer on what comes out. The state then belongs to the model: it counts in its
parameters and is saved with it.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kcfg.builder import BuiltGraph, build_model
from kcfg.recipe import LoadedRecipe, Step, output_names
from kcfg.recipe.adapt_checks import adapt_split
from kcfg.recipe.schema import SyntheticSource
from kcfg.recipe.schema.graph import AdaptSpec
from kcfg.run.feeding import Feeder, FeedError, ModelSignature, split_off
from kcfg.run.streams import RowStream
from kcfg.run.synthetic import synthetic_inputs

#: Batch size for adapting when the recipe gives no fit.batch_size (Keras's default).
DEFAULT_BATCH_SIZE = 32


class Adaptation:
    """The builder's adapter for one recipe: each split's model inputs are read once.

    `synthetic` (smoke tests) adapts on that many random samples shaped like the inputs
    instead of the recipe's data, which may not be on the machine.
    """

    def __init__(self, loaded: LoadedRecipe, *, synthetic: int | None = None) -> None:
        self.loaded = loaded
        self.synthetic = synthetic
        recipe = loaded.recipe
        self.batch_size = recipe.fit.batch_size or DEFAULT_BATCH_SIZE
        inputs = {name: tuple(spec.shape) for name, spec in recipe.model.inputs.items()}
        dtypes = {name: spec.dtype for name, spec in recipe.model.inputs.items()}
        signature = ModelSignature(inputs, {name: () for name in output_names(recipe.model)}, {}, dtypes)
        self.feeder = Feeder(signature, loaded.file.parent, recipe.seed)
        self.splits: dict[str, tf.data.Dataset] = {}

    def __call__(self, step: Step, layer: Any, tensor: Any, inputs: dict[str, Any]) -> None:
        """Adapt `layer` on the values of `tensor` (what it reads) over the entry's split."""
        if not callable(getattr(layer, "adapt", None)):
            raise ValueError(f"{type(layer).__name__} has no adapt(): only preprocessing layers adapt")
        if isinstance(tensor, list):
            raise ValueError(f"adapt needs a layer that reads one tensor; {step.name!r} reads {len(tensor)}")
        split = str(adapt_split(step.spec))
        batches = self.inputs_of(split, inputs)
        if isinstance(step.spec.adapt, AdaptSpec) and step.spec.adapt.steps:
            batches = batches.take(step.spec.adapt.steps)
        name = next((key for key, value in inputs.items() if value is tensor), None)
        if name is not None:  # the layer reads a model input: adapt on that column as it is
            layer.adapt(batches.map(lambda x: x[name]))
        else:  # the values the graph computes up to the layer
            layer.adapt(keras.Model(inputs, tensor).predict(batches, verbose=0))

    def inputs_of(self, split: str, inputs: dict[str, Any]) -> tf.data.Dataset:
        """Batches of `{input name: values}` of one split, read the first time a layer asks."""
        if split not in self.splits:
            self.splits[split] = self.read(split, inputs).batch(self.batch_size)
        return self.splits[split]

    def read(self, split: str, inputs: dict[str, Any]) -> tf.data.Dataset:
        recipe = self.loaded.recipe
        source = getattr(recipe.data, split) if recipe.data is not None else None
        if self.synthetic is not None:
            return self.synthetic_split(inputs, self.synthetic, recipe.seed)
        if isinstance(source, SyntheticSource):
            return self.synthetic_split(inputs, source.samples, recipe.seed if source.seed is None else source.seed)
        if source is None:  # validate reports it; a recipe changed in between still gets a clear line
            raise FeedError(("data",), f"adapt: {split} needs data.{split}")
        feed = self.feeder.feed(source, ("data", split), with_targets=False)
        if split == "train" and recipe.fit.validation_split and (recipe.data is None or recipe.data.validation is None):
            feed, _ = split_off(feed, recipe.fit.validation_split)  # the part fit trains on
        if feed.is_stream:
            return self.stream_inputs(feed.x.dataset() if isinstance(feed.x, RowStream) else feed.x, split, list(inputs))
        x = feed.x if isinstance(feed.x, dict) else {next(iter(inputs)): feed.x}
        return tf.data.Dataset.from_tensor_slices(x)

    @staticmethod
    def synthetic_split(inputs: dict[str, Any], samples: int, seed: int | None) -> tf.data.Dataset:
        """Random inputs of each input's shape and dtype (no layer is built yet to bound them)."""
        arrays = synthetic_inputs(list(inputs.values()), None, samples, np.random.default_rng(seed))
        return tf.data.Dataset.from_tensor_slices({k: tf.constant(v) for k, v in arrays.items()})

    @staticmethod
    def stream_inputs(stream: Any, split: str, names: list[str]) -> tf.data.Dataset:
        """The inputs of a `tf.data.Dataset` of `(x, y[, w])` elements, unbatched."""
        if not isinstance(stream, tf.data.Dataset):
            raise FeedError(("data", split), "adapt reads its split before training, so the data must be readable twice: arrays or a tf.data.Dataset, not a generator or PyDataset")
        features = stream.map(lambda *element: element[0])
        if not isinstance(features.element_spec, dict):
            features = features.map(lambda x: {names[0]: x})
        return features.unbatch() if _batched(stream) else features


def build_adapted(loaded: LoadedRecipe) -> BuiltGraph:
    """The model as training builds it, `adapt:` layers adapted on their data (for summaries and plots).

    Raises:
        RecipeError: a layer Keras rejects, or data an `adapt:` split cannot read (on its line).
    """
    return build_model(loaded, adapter=Adaptation(loaded))


def _batched(stream: tf.data.Dataset) -> bool:
    """Whether a dataset's elements are batches (a python source usually batches; images here do not)."""
    spec = stream.element_spec
    first = spec[0] if isinstance(spec, tuple) else spec
    leaf = next(iter(first.values())) if isinstance(first, dict) else first
    return bool(leaf.shape.rank) and leaf.shape[0] is None
