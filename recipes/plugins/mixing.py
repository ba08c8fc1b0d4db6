"""An example kcfg plugin: layers called the ways Keras layers may be called with several tensors.

`WeightedSum` takes a dict of tensors (a recipe writes `call: {inputs: {a: x, b: y}}`);
`Gate` takes two tensors as two arguments, `gate(x, gate)` (a recipe writes `input: x`
and `call: {gate: g}`). See the README's "Operations, call: and indices".
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kcfg_example")
class WeightedSum(keras.layers.Layer):
    """Sums the tensors of a dict, each scaled by a learned weight (one per key, in key order)."""

    def build(self, input_shape):
        self.mix = self.add_weight(shape=(len(input_shape),), initializer="ones", name="mix")

    def call(self, inputs):
        return sum(self.mix[i] * inputs[key] for i, key in enumerate(sorted(inputs)))


@keras.saving.register_keras_serializable(package="kcfg_example")
class Gate(keras.layers.Layer):
    """`x * sigmoid(gate)`: the second tensor is a second call argument, not part of a list."""

    def call(self, x, gate):
        return x * ops.sigmoid(gate)
