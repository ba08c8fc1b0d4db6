"""The builder feature by feature: sharing, submodels, call keywords, indexed outputs, errors."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from kcfg.builder import build_model  # noqa: E402
from kcfg.builder.summary import summary_text  # noqa: E402
from kcfg.recipe import RecipeError, load_recipe  # noqa: E402

from .conftest import REPO, kcfg, run_kcfg  # noqa: E402
from .keras_structure import structure  # noqa: E402


def build(write, text: str, name: str = "r.yaml"):
    return build_model(load_recipe(write(name, text)))


def build_error(write, text: str) -> str:
    """The one problem building `text` gives, with the file named relative to its folder."""
    path = write("bad.yaml", text)
    with pytest.raises(RecipeError) as caught:
        build_model(load_recipe(path))
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0]).removeprefix(f"{path.parent}/")


def test_shared_submodel_uses_one_set_of_variables() -> None:
    model = build_model(load_recipe(REPO / "recipes" / "siamese.yaml")).model
    tower = model.get_layer("left_tower")
    assert len(model.weights) == len(tower.weights) + 2
    assert {id(w) for w in tower.weights} <= {id(w) for w in model.weights}
    difference = keras.Model(model.inputs, model.get_layer("difference").output)
    same = np.random.default_rng(0).normal(size=(4, 32)).astype("float32")
    assert np.abs(difference.predict([same, same], verbose=0)).max() == 0.0
    other = np.random.default_rng(1).normal(size=(4, 32)).astype("float32")
    assert np.abs(difference.predict([same, other], verbose=0)).max() > 0.0


def test_shared_plain_layer_is_the_same_object(write) -> None:
    built = build(write, """
model:
  inputs: {a: [8], b: [8]}
  layers:
    left: {type: Dense, units: 4, input: a}
    right: {share: left, input: b}
    both: {type: Concatenate, input: [left, right]}
""")
    model = built.model
    assert [layer.name for layer in model.layers].count("left") == 1
    assert model.count_params() == 8 * 4 + 4
    x = np.ones((2, 8), "float32")
    out = model.predict([x, x], verbose=0)
    np.testing.assert_array_equal(out[:, :4], out[:, 4:])


def test_ensemble_members_have_their_own_weights() -> None:
    model = build_model(load_recipe(REPO / "recipes" / "ensemble.yaml")).model
    members = [model.get_layer(name) for name in ("m1", "m2", "m3")]
    kernels = [m.get_layer("hidden").kernel for m in members]
    assert len({id(k) for k in kernels}) == 3
    assert not np.allclose(kernels[0].numpy(), kernels[1].numpy())
    assert model.count_params() == 3 * members[0].count_params()


def test_call_keywords_indexed_outputs_and_forward_references(write) -> None:
    built = build(write, """
model:
  inputs: {tokens: {shape: [10], dtype: int32}}
  layers:
    attention: {type: MultiHeadAttention, num_heads: 2, key_dim: 8, call: {query: embedded, value: embedded, key: embedded}}
    embedded: {type: Embedding, input_dim: 50, output_dim: 16, input: tokens}
    lstm: {type: LSTM, units: 6, return_state: true, input: attention}
    final_state: {type: Dense, units: 3, input: "lstm[2]"}
  outputs: [final_state]
""")
    tokens = keras.Input(shape=(10,), dtype="int32", name="tokens")
    embedded = layers.Embedding(50, 16, name="embedded")(tokens)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="attention")(query=embedded, value=embedded, key=embedded)
    _, _, carry = layers.LSTM(6, return_state=True, name="lstm")(attended)
    expected = keras.Model(tokens, layers.Dense(3, name="final_state")(carry), name="r")
    assert structure(built.model) == structure(expected)


def test_submodels_inside_submodels_are_new_instances(write) -> None:
    built = build(write, """
submodels:
  block:
    inputs: {x: [4]}
    layers:
      dense: {type: Dense, units: 4, activation: relu}
  pair:
    inputs: {x: [4]}
    layers:
      first: {type: block}
      second: {type: block}
model:
  inputs: {x: [4]}
  layers:
    a: {type: pair}
    b: {type: pair}
""")
    model = built.model
    assert model.count_params() == 4 * 20
    assert [layer.name for layer in model.get_layer("a").layers] == ["x", "first", "second"]
    assert model.get_layer("a").get_layer("first") is not model.get_layer("b").get_layer("first")
    text = summary_text(built, expand=True)
    assert "a (pair)" in text and "first (block)" in text


def test_input_dtype_sparse_and_batch_size(write) -> None:
    built = build(write, """
model:
  inputs:
    counts: {shape: [30], sparse: true, batch_size: 8}
  layers:
    dense: {type: Dense, units: 2}
""")
    (tensor,) = built.model.inputs
    assert tensor.sparse and tuple(tensor.shape) == (8, 30)


def test_nested_objects_and_lambda_functions(write) -> None:
    built = build(write, """
model:
  inputs: {x: [5, 3]}
  layers:
    per_step: {type: TimeDistributed, layer: {type: Dense, units: 2, kernel_initializer: {type: Constant, value: 0.5}}}
    cells: {type: RNN, cell: [{type: GRUCell, units: 3}, {type: GRUCell, units: 2}]}
    leaky: {type: Dense, units: 2, activation: {type: LeakyReLU, negative_slope: 0.5}, kernel_constraint: {type: NonNeg}}
    squared: {type: Lambda, function: keras.ops.square}
""")
    model = built.model
    assert np.all(model.get_layer("per_step").layer.kernel.numpy() == 0.5)
    assert type(model.get_layer("leaky").kernel_constraint).__name__ == "NonNeg"
    assert tuple(model.outputs[0].shape) == (None, 2)


def test_shared_layer_as_output_keeps_the_entry_name(write) -> None:
    built = build(write, """
model:
  inputs: {a: [3], b: [3]}
  layers:
    left: {type: Dense, units: 2, input: a}
    right: {share: left, input: b}
  outputs: [left, right]
""")
    assert built.model.output_names == ["left", "right"]


@pytest.mark.parametrize(
    ("layers_text", "expected"),
    [
        ("a: {type: Dense, units: 4}\n    b: {type: Dense, units: 3, input: x}\n    s: {type: Add, input: [a, b]}",
         "bad.yaml:7:5: model.layers.s: Inputs have incompatible shapes. Received shapes (4,) and (3,)"),
        ("r: {type: Reshape, target_shape: [3, 3]}",
         "bad.yaml:5:24: model.layers.r: The total size of the tensor must be unchanged. Received: input_shape=(8,), target_shape=(3, 3)"),
        ("d: {type: Dropout, rate: 1.5}",
         "bad.yaml:5:24: model.layers.d: Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=1.5"),
        ("d: {type: Dense, units: 2, kernel_initializer: {type: VarianceScaling, mode: sideways}}",
         "bad.yaml:5:5: model.layers.d: Invalid `mode` argument: sideways. Please use one of "),
    ],
    ids=["add_shapes", "reshape_size", "dropout_rate", "initializer_mode"],
)
def test_keras_build_errors_land_on_the_layer(write, layers_text: str, expected: str) -> None:
    message = build_error(write, f"# bad build\nmodel:\n  inputs: {{x: [8]}}\n  layers:\n    {layers_text}\n")
    assert message.startswith(expected), message  # Keras prints some choices as an unordered set


def test_build_error_from_the_command_line(write) -> None:
    """A subprocess: its stderr must be the problem alone, with none of TensorFlow's start-up notices."""
    bad = write("bad.yaml", "model:\n  inputs: {x: [8]}\n  layers:\n    r: {type: Reshape, target_shape: [3, 3]}\n")
    result = run_kcfg("summary", str(bad))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{bad}:4:24: model.layers.r: The total size of the tensor must be unchanged. Received: input_shape=(8,), target_shape=(3, 3)"]
    assert result.stdout == ""


def test_plugin_that_fails_to_import_is_reported_on_its_line(write) -> None:
    write("broken_plugin.py", "import keras\nraise RuntimeError('no GPU here')\n")
    message = build_error(write, "plugins: [broken_plugin.py]\nmodel:\n  inputs: {x: [2]}\n  layers:\n    d: {type: Dense, units: 1}\n")
    assert message == "bad.yaml:1:11: plugins[0]: importing plugin 'broken_plugin.py' failed: RuntimeError: no GPU here"


def test_plugin_module_beside_the_recipe_provides_layers_and_lambda_functions(write) -> None:
    write("my_blocks.py", """
import keras

class Doubling(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0

def halve(x):
    return x / 2.0
""")
    built = build(write, """
plugins: [my_blocks]
model:
  inputs: {x: [3]}
  layers:
    double: {type: Doubling}
    half: {type: Lambda, function: my_blocks.halve}
""")
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    np.testing.assert_allclose(built.model.predict(x, verbose=0), x)


def test_safe_mode_refuses_the_plugin_recipe() -> None:
    result = kcfg("summary", "recipes/custom_layer.yaml", env={"KCFG_SAFE": "1"})
    assert result.returncode == 2
    assert "refused in --safe mode" in result.stderr and "Traceback" not in result.stderr


def test_summary_shows_submodel_types_and_expands_them() -> None:
    plain = kcfg("summary", "recipes/ensemble.yaml")
    expanded = kcfg("summary", "recipes/ensemble.yaml", "--expand")
    assert plain.returncode == expanded.returncode == 0, plain.stderr + expanded.stderr
    for header in ("Layer (type)", "Output Shape", "Param #", "Connected to"):
        assert header in plain.stdout
    assert "m1 (member)" in plain.stdout and "hidden (Dense)" not in plain.stdout
    assert expanded.stdout.count("hidden (Dense)") == 3
    assert "Total params: 12,483" in plain.stdout
    assert plain.stderr == ""
