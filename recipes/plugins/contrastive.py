"""A kcfg plugin for siamese networks: a distance between two embeddings and a loss factory.

`loss(margin=...)` returns a loss function, as in the keras-io siamese example: a recipe
calls it with `loss: {factory: loss, margin: 1}` and kcfg finds the function again when
the saved model is loaded (it is saved under its name, `contrastive_loss`).
"""

import keras
from keras import ops


def euclidean_distance(pair):
    """Distance between the two embeddings of a pair, kept above epsilon for a finite gradient."""
    left, right = pair
    squared = ops.sum(ops.square(left - right), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(squared, keras.config.epsilon()))


def loss(margin=1):
    """The contrastive loss for pairs labelled 1 (same) or 0 (different), with this margin."""

    def contrastive_loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        close = (1 - y_true) * ops.square(y_pred)
        apart = y_true * ops.square(ops.maximum(margin - y_pred, 0))
        return ops.mean(close + apart)

    return contrastive_loss
