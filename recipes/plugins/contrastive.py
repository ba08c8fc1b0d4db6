"""A kcfg plugin for siamese networks: a distance between two embeddings and a loss factory.

`loss(margin=...)` returns the contrastive loss of the keras-io siamese example: a recipe
calls it with `loss: {factory: loss, margin: 1}`. The loss is a registered `keras.losses.Loss`
that keeps its margin in its config, and the distance is a registered function, so a saved
model loads in plain Keras, margin included, once this module is imported (kcfg itself would
also find them by name).
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kcfg_siamese")
def euclidean_distance(pair):
    """Distance between the two embeddings of a pair, kept above epsilon for a finite gradient."""
    left, right = pair
    squared = ops.sum(ops.square(left - right), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(squared, keras.config.epsilon()))


@keras.saving.register_keras_serializable(package="kcfg_siamese")
class ContrastiveLoss(keras.losses.Loss):
    """The contrastive loss for pairs labelled 1 (same) or 0 (different), with a margin."""

    def __init__(self, margin=1.0, name="contrastive_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin = margin

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        close = (1 - y_true) * ops.square(y_pred)
        apart = y_true * ops.square(ops.maximum(self.margin - y_pred, 0))
        return close + apart

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


def loss(margin=1):
    """The factory a recipe names: the contrastive loss with this margin."""
    return ContrastiveLoss(margin=margin)
