"""Blocks build what a Keras script's loops and helper functions build: same layers, names, connections."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers, ops  # noqa: E402

from kcfg.builder import build_model  # noqa: E402
from kcfg.recipe import RecipeError, dump_yaml, expanded_recipe, load_recipe  # noqa: E402

from .conftest import REPO  # noqa: E402
from .keras_structure import structure  # noqa: E402


def unet() -> Any:
    """keras-io's oxford_pets U-Net, its loops naming each layer as the recipe's blocks expand."""
    inputs = keras.Input(shape=(160, 160, 3), name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", name="entry_conv")(inputs)
    x = layers.BatchNormalization(name="entry_bn")(x)
    x = layers.Activation("relu", name="entry_act")(x)
    previous = x
    for filters in [64, 128, 256]:
        use = f"down{filters}_"
        x = layers.Activation("relu", name=use + "act1")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", name=use + "sep1")(x)
        x = layers.BatchNormalization(name=use + "bn1")(x)
        x = layers.Activation("relu", name=use + "act2")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", name=use + "sep2")(x)
        x = layers.BatchNormalization(name=use + "bn2")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name=use + "pool")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same", name=use + "residual")(previous)
        x = previous = layers.add([x, residual], name=use + "out")
    for filters in [256, 128, 64, 32]:
        use = f"up{filters}_"
        x = layers.Activation("relu", name=use + "act1")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same", name=use + "deconv1")(x)
        x = layers.BatchNormalization(name=use + "bn1")(x)
        x = layers.Activation("relu", name=use + "act2")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same", name=use + "deconv2")(x)
        x = layers.BatchNormalization(name=use + "bn2")(x)
        x = layers.UpSampling2D(2, name=use + "upsample")(x)
        residual = layers.UpSampling2D(2, name=use + "residual_up")(previous)
        residual = layers.Conv2D(filters, 1, padding="same", name=use + "residual")(residual)
        x = previous = layers.add([x, residual], name=use + "out")
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same", name="mask")(x)
    return keras.Model(inputs, outputs, name="unet")


def residual_stack() -> Any:
    """keras-io's speaker recognition model: `residual_block(x, filters, conv_num)` called five times."""

    def residual_block(x: Any, filters: int, conv_num: int, use: str) -> Any:
        s = layers.Conv1D(filters, 1, padding="same", name=f"{use}_shortcut")(x)
        for i in range(conv_num - 1):
            x = layers.Conv1D(filters, 3, padding="same", name=f"{use}_convs_{i + 1}_conv")(x)
            x = layers.Activation("relu", name=f"{use}_convs_{i + 1}_relu")(x)
        x = layers.Conv1D(filters, 3, padding="same", name=f"{use}_conv")(x)
        x = layers.Add(name=f"{use}_add")([x, s])
        x = layers.Activation("relu", name=f"{use}_relu")(x)
        return layers.MaxPool1D(pool_size=2, strides=2, name=f"{use}_pool")(x)

    inputs = keras.Input(shape=(8000, 1), name="input")
    x = residual_block(inputs, 16, 2, "res16")
    x = residual_block(x, 32, 2, "res32")
    x = residual_block(x, 64, 3, "res64")
    x = residual_block(x, 128, 3, "res128a")
    x = residual_block(x, 128, 3, "res128b")
    x = layers.AveragePooling1D(pool_size=3, strides=3, name="average")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, activation="relu", name="dense1")(x)
    x = layers.Dense(128, activation="relu", name="dense2")(x)
    outputs = layers.Dense(5, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="residual_stack")


#: Shipped recipes built with blocks -> their hand-written twins (registered in test_build_recipes).
TWINS: dict[str, Callable[[], Any]] = {"unet": unet, "residual_stack": residual_stack}


def build(write: Callable[[str, str], Path], text: str) -> Any:
    return build_model(load_recipe(write("r.yaml", text)))


@pytest.mark.parametrize("name", sorted(TWINS))
def test_block_recipe_equals_the_keras_loop(name: str) -> None:
    built = build_model(load_recipe(REPO / "recipes" / f"{name}.yaml")).model
    expected = TWINS[name]()
    assert structure(built) == structure(expected)
    assert built.count_params() == {"unet": 2_058_979, "residual_stack": 3_088_597}[name]  # as keras-io prints


def test_repeat_chains_copies_and_params_keep_their_type(write) -> None:
    built = build(write, """
blocks:
  dense:
    params: {units: null, act: relu, tag: x}
    layers:
      d: {type: Dense, units: "${params.units}", activation: "${params.act}"}
      drop: {type: Dropout, rate: 0.1, seed: "${params.units}"}
model:
  inputs: {x: [4]}
  layers:
    stack: {block: dense, repeat: 3, units: 8}
    head: {type: Dense, units: 1}
""")
    model = built.model
    names = [layer.name for layer in model.layers]
    assert names == ["x", "stack_1_d", "stack_1_drop", "stack_2_d", "stack_2_drop", "stack_3_d", "stack_3_drop", "head"]
    assert model.get_layer("stack_2_d").units == 8 and model.get_layer("stack_3_drop").seed == 8
    inputs = keras.Input((4,), name="x")
    x = inputs
    for i in (1, 2, 3):
        x = layers.Dense(8, activation="relu", name=f"stack_{i}_d")(x)
        x = layers.Dropout(0.1, seed=8, name=f"stack_{i}_drop")(x)
    assert structure(model) == structure(keras.Model(inputs, layers.Dense(1, name="head")(x), name="r"))


def test_blocks_in_blocks_several_inputs_and_outputs_and_forward_references(write) -> None:
    built = build(write, """
blocks:
  pair:
    params: {units: 4}
    inputs: [left, right]
    layers:
      a: {type: Dense, units: "${params.units}", input: left}
      b: {type: Dense, units: "${params.units}", input: right}
      joined: {type: Concatenate, input: [a, b]}
    outputs: [joined, a]
  tower:
    params: {width: 2}
    layers:
      inner: {block: pair, input: [x, x], units: "${params.width}"}
      squash: {type: Dense, units: 1, input: "inner[0]"}
model:
  inputs: {p: [3], q: [3]}
  layers:
    early: {type: Dense, units: 2, input: "both[1]"}
    both: {block: pair, input: [p, q]}
    t: {block: tower, input: "both[0]", width: 5}
    out: {type: Concatenate, input: [t, early, both_b]}
""")
    model = built.model
    p, q = keras.Input((3,), name="p"), keras.Input((3,), name="q")
    a, b = layers.Dense(4, name="both_a")(p), layers.Dense(4, name="both_b")(q)
    joined = layers.Concatenate(name="both_joined")([a, b])
    ia = layers.Dense(5, name="t_inner_a")(joined)
    ib = layers.Dense(5, name="t_inner_b")(joined)
    squash = layers.Dense(1, name="t_squash")(layers.Concatenate(name="t_inner_joined")([ia, ib]))
    early = layers.Dense(2, name="early")(a)
    expected = keras.Model([p, q], layers.Concatenate(name="out")([squash, early, b]), name="r")
    assert structure(model) == structure(expected)


def test_a_block_use_as_output_keeps_the_use_name(write) -> None:
    built = build(write, """
blocks:
  head:
    layers:
      hidden: {type: Dense, units: 3, activation: relu}
      logits: {type: Dense, units: 2}
model:
  inputs: {x: [4]}
  layers:
    classifier: {block: head}
""")
    assert built.model.output_names == ["classifier"]
    assert [layer.name for layer in built.model.layers][-1] == "classifier"


def test_blocks_inside_submodels(write) -> None:
    built = build(write, """
blocks:
  conv_pool:
    params: {filters: 8}
    layers:
      conv: {type: Conv2D, filters: "${params.filters}", kernel_size: 3, padding: same}
      pool: {type: MaxPooling2D, pool_size: 2}
submodels:
  encoder:
    inputs: {image: [8, 8, 1]}
    layers:
      s1: {block: conv_pool, filters: 4}
      s2: {block: conv_pool}
model:
  inputs: {image: [8, 8, 1]}
  layers:
    code: {type: encoder}
""")
    encoder = built.model.get_layer("code")
    assert [layer.name for layer in encoder.layers] == ["image", "s1_conv", "s1_pool", "s2_conv", "s2_pool"]
    assert tuple(built.model.output.shape) == (None, 2, 2, 8)


def test_show_expand_prints_a_recipe_that_builds_the_same_model(write) -> None:
    loaded = load_recipe(REPO / "recipes" / "residual_stack.yaml")
    text = dump_yaml(expanded_recipe(loaded))
    assert "blocks:" not in text and "${params" not in text and "res16_convs_1_conv:" in text
    rebuilt = build_model(load_recipe(write("flat.yaml", text))).model
    assert structure(rebuilt) == structure(build_model(loaded).model)


def test_index_past_a_layers_outputs_is_a_located_build_error(write) -> None:
    path = write("bad.yaml", """
model:
  inputs: {x: [4]}
  layers:
    attention: {type: MultiHeadAttention, num_heads: 1, key_dim: 2, call: {query: x, value: x, return_attention_scores: true}}
    pick: {type: Dense, units: 1, input: "attention[2]"}
""")
    with pytest.raises(RecipeError) as caught:
        build_model(load_recipe(path))
    (problem,) = caught.value.problems
    assert str(problem).endswith("bad.yaml:6:35: model.layers.pick.input: 'attention[2]' is out of range: 'attention' has 2 outputs (attention[0] to attention[1])")


def test_keyword_only_entry_says_which_rule_applied(write) -> None:
    write("scaled_plugin.py", """
import keras

class Scaled(keras.layers.Layer):
    def call(self, inputs, scale):
        return inputs * scale
""")
    path = write("bad.yaml", """
plugins: [scaled_plugin]
model:
  inputs: {x: [4], s: [1]}
  layers:
    scaled: {type: Scaled, call: {scale: s}}
""")
    with pytest.raises(RecipeError) as caught:
        build_model(load_recipe(path))
    (problem,) = caught.value.problems
    assert "called with keywords only: this entry has no `input:` and its `call:` names layers (scale)" in str(problem)
    assert ":6:5: model.layers.scaled:" in str(problem)


def test_a_dict_of_tensors_and_positional_tensors_by_name(write) -> None:
    write("tensor_pairs.py", """
import keras

class Pair(keras.layers.Layer):
    def call(self, inputs):
        return inputs["a"] * inputs["b"]

class Weighted(keras.layers.Layer):
    def call(self, x, weight):
        return x * weight
""")
    built = build(write, """
plugins: [tensor_pairs]
model:
  inputs: {a: [3], b: [3]}
  layers:
    product: {type: Pair, call: {inputs: {a: a, b: b}}}
    weighted: {type: Weighted, input: product, call: {weight: b}}
""")
    a = np.array([[1.0, 2.0, 3.0]], "float32")
    b = np.array([[2.0, 2.0, 0.5]], "float32")
    np.testing.assert_allclose(built.model.predict([a, b], verbose=0), a * b * b)


def test_op_entries_are_operations_not_layers(write) -> None:
    built = build(write, """
model:
  inputs: {a: [4], b: [4]}
  layers:
    d: {type: Dense, units: 4, input: a}
    total: {op: keras.ops.add, input: [d, b]}
    scaled: {op: keras.ops.multiply, input: [total, 0.5]}
    joined: {op: keras.ops.concatenate, input: [[scaled, b]], arguments: {axis: -1}}
    out: {type: Dense, units: 1}
""").model
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    d = layers.Dense(4, name="d")(a)
    x = ops.concatenate([ops.multiply(ops.add(d, b), 0.5), b], axis=-1)
    script = keras.Model([a, b], layers.Dense(1, name="out")(x))
    assert [layer.name for layer in built.layers] == [layer.name for layer in script.layers] == ["a", "d", "b", "out"]
    script.set_weights(built.get_weights())
    inputs = [np.random.default_rng(0).normal(size=(3, 4)).astype("float32") for _ in range(2)]
    np.testing.assert_allclose(built.predict(inputs, verbose=0), script.predict(inputs, verbose=0), rtol=1e-6)


def test_keras_errors_in_a_block_land_on_the_block_or_on_the_use_that_gave_the_value(write) -> None:
    text = """
blocks:
  head:
    params: {rate: 0.5}
    layers:
      drop: {type: Dropout, rate: "${params.rate}"}
      reshape: {type: Reshape, target_shape: [3, 3]}
model:
  inputs: {x: [8]}
  layers:
    ok: {block: head}
    bad: {block: head, rate: 1.5}
"""
    path = write("bad.yaml", text)
    with pytest.raises(RecipeError) as caught:
        build_model(load_recipe(path))
    (problem,) = caught.value.problems
    assert str(problem).endswith("bad.yaml:7:32: model.layers.ok_reshape: The total size of the tensor must be unchanged. Received: input_shape=(8,), target_shape=(3, 3)")
    path = write("bad.yaml", text.replace("target_shape: [3, 3]", "target_shape: [2, 4]"))
    with pytest.raises(RecipeError) as caught:
        build_model(load_recipe(path))
    (problem,) = caught.value.problems
    assert ":12:24: model.layers.bad_drop: Invalid value received for argument `rate`" in str(problem)


def test_the_plot_draws_each_use_as_a_cluster() -> None:
    from kcfg.builder import GraphDrawing

    source = GraphDrawing(load_recipe(REPO / "recipes" / "residual_stack.yaml").plan).draw("residual_stack").source
    for cluster in ("cluster_res16", "cluster_res16_convs_1", "cluster_res64_convs_2", "cluster_res128b"):
        assert f"subgraph {cluster} {{" in source, cluster
    assert 'label="res64_convs_2 (conv_relu)"' in source and "res64_convs_2_relu ->" in source


def test_lambda_and_plugin_functions_inside_blocks_survive_save_and_reload(write) -> None:
    from kcfg.run.smoke import smoke

    write("halving.py", "def halve(x):\n    return x / 2\n")
    path = write("r.yaml", """
plugins: [halving]
blocks:
  squash:
    params: {fn: keras.ops.square}
    layers:
      f: {type: Lambda, function: "${params.fn}"}
      half: {op: halving.halve}
      d: {type: Dense, units: 2}
model:
  inputs: {x: [4]}
  layers:
    a: {block: squash}
    b: {block: squash, fn: keras.ops.abs}
compile: {optimizer: adam, loss: mse}
""")
    result = smoke(path)
    assert result.passed, result.problems
