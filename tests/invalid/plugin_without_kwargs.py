"""A plugin layer whose constructor cannot take the `name` Keras passes (tests/invalid/plugin_without_kwargs.yaml)."""

import keras


class Scale(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor
