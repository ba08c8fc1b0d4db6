"""An example kcfg plugin: a custom layer and a custom loss, usable by name in a recipe.

A recipe loads it with `plugins: [plugins/antirectifier.py]` (a path relative to the
recipe) and then writes `{type: Antirectifier}` as a layer and `loss: smooth_l1` in
`compile`. Registering with Keras lets a saved `.keras` model load again.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kcfg_example")
class Antirectifier(keras.layers.Layer):
    """The Keras example's antirectifier: keeps both signs of centred inputs, mixed by a kernel.

    Output width equals input width; the kernel is created in `build`, once the input
    width is known.
    """

    def __init__(self, initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        width = input_shape[-1]
        self.kernel = self.add_weight(shape=(width * 2, width), initializer=self.initializer, name="kernel", trainable=True)

    def call(self, inputs):
        centred = inputs - ops.mean(inputs, axis=-1, keepdims=True)
        both_signs = ops.concatenate([ops.relu(centred), ops.relu(-centred)], axis=-1)
        return ops.matmul(both_signs, self.kernel)

    def get_config(self):
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}


@keras.saving.register_keras_serializable(package="kcfg_example")
def smooth_l1(y_true, y_pred):
    """Huber-style loss with delta 1: squared near the target, linear far from it."""
    error = ops.abs(ops.cast(y_true, y_pred.dtype) - y_pred)
    return ops.mean(ops.where(error < 1.0, 0.5 * ops.square(error), error - 0.5), axis=-1)
