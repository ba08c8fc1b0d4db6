"""Smoke's reload check on models that draw random numbers at inference, and on ones it must still catch."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kcfg.run import smoke  # noqa: E402

from .conftest import REPO  # noqa: E402

LAYERS = '''
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kcfg_test_reload")
class Jitter(keras.layers.Layer):
    """Adds noise at inference too, drawn without a seed generator of its own."""

    def call(self, inputs):
        return inputs + keras.random.normal(ops.shape(inputs))


@keras.saving.register_keras_serializable(package="kcfg_test_reload")
class Scale(keras.layers.Layer):
    """Forgets its factor when saved: a reloaded copy scales by 1."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {key: value for key, value in super().get_config().items() if key != "factor"}
'''


def recipe(layer: str) -> str:
    return f"""
plugins: [reload_layers.py]
model:
  inputs: {{x: [4]}}
  layers:
    dense: {{type: Dense, units: 3}}
    odd: {layer}
    out: {{type: Dense, units: 1}}
compile: {{optimizer: adam, loss: mse}}
"""


def test_the_vae_with_its_sampling_layer_smokes() -> None:
    result = smoke(REPO / "recipes" / "vae.yaml")
    assert result.passed, result.problems


def test_a_layer_random_without_a_seed_generator_is_compared_by_weights(write) -> None:
    write("reload_layers.py", LAYERS)
    result = smoke(write("jitter.yaml", recipe("{type: Jitter}")))
    assert result.passed, result.problems


def test_a_reload_that_loses_configuration_still_fails(write) -> None:
    write("reload_layers.py", LAYERS)
    result = smoke(write("scale.yaml", recipe("{type: Scale, factor: 3.0}")))
    assert not result.passed
    assert "the reloaded model predicts differently" in result.problems[0]
