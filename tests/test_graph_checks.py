"""Graph features that must pass the static checks, and the warnings they may raise."""

from __future__ import annotations

import pytest

from kcfg.recipe import RecipeError, load_recipe


def load_text(write, text: str):
    return load_recipe(write("r.yaml", text))


def test_indexed_outputs_call_keywords_and_sharing(write) -> None:
    loaded = load_text(
        write,
        """
model:
  inputs: {q: [8, 16], v: [8, 16], a: [4], b: [4]}
  layers:
    lstm: {type: LSTM, units: 16, return_state: true, input: q}
    att: {type: MultiHeadAttention, num_heads: 2, key_dim: 8, input: q, call: {query: q, value: v, training: false}}
    pooled: {type: GlobalAveragePooling1D}
    left: {type: Dense, units: 16, input: a}
    right: {share: left, input: b}
    joined: {type: Concatenate, input: ['lstm[1]', pooled, left, right]}
    out: {type: Dense, units: 1}
""",
    )
    assert loaded.warnings == []


def test_unused_layers_and_inputs_are_warnings(write) -> None:
    loaded = load_text(
        write,
        """
model:
  inputs: {x: [4], spare: [2]}
  layers:
    side: {type: Dense, units: 2, input: x}
    out: {type: Dense, units: 1, input: x}
""",
    )
    assert [str(w).split(": ", 1)[1] for w in loaded.warnings] == [
        "model.inputs.spare: warning: input 'spare' is not used by any output",
        "model.layers.side: warning: nothing reads layer 'side': it is not on a path to an output",
    ]


def test_nested_submodels_and_default_outputs(write) -> None:
    loaded = load_text(
        write,
        """
submodels:
  block:
    inputs: {x: [8]}
    layers: {d: {type: Dense, units: 8}}
  tower:
    inputs: {x: [8]}
    layers:
      b1: {type: block}
      b2: {type: block}
model:
  inputs: {x: [8]}
  layers:
    t1: {type: tower}
    t2: {share: t1, input: t1}
""",
    )
    assert loaded.warnings == []
    assert list(loaded.recipe.submodels) == ["block", "tower"]


def test_nested_keras_objects_checked(write) -> None:
    text = """
model:
  inputs: {tokens: {shape: [null], dtype: int32}}
  layers:
    emb: {type: Embedding, input_dim: 100, output_dim: 8}
    bi: {type: Bidirectional, layer: {type: LSTM, units: 4, recurrent_initializr: orthogonal}}
    out: {type: Dense, units: 1, kernel_regularizer: {type: L1L2, l1: 0.01, l2: 0.01}, kernel_constraint: max_norm}
"""
    with pytest.raises(RecipeError) as caught:
        load_text(write, text)
    (problem,) = caught.value.problems
    assert "LSTM has no argument 'recurrent_initializr' (did you mean 'recurrent_initializer'?)" in problem.message


def test_learning_rate_schedule_and_lambda(write) -> None:
    loaded = load_text(
        write,
        """
model:
  inputs: {x: [4]}
  layers:
    sq: {type: Lambda, function: keras.ops.square}
    act: {type: Lambda, function: keras.activations.relu}
    out: {type: Dense, units: 1}
compile:
  optimizer: {type: SGD, nesterov: true, momentum: 0.9, learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.1, decay_steps: 100, decay_rate: 0.9}}
  loss: {out: y_pred}
""",
    )
    assert loaded.recipe.compile is not None


def test_plugins_are_scanned_not_imported(write) -> None:
    write(
        "my_plugin.py",
        "raise RuntimeError('validate must not import plugins')\n"
        "class Scale:\n    def __init__(self, factor, **kwargs):\n        pass\n"
        "def yolo_loss(y_true, y_pred):\n    return y_pred\n",
    )
    text = """
plugins: [my_plugin]
model:
  inputs: {x: [4]}
  layers:
    s: {type: Scale, factor: 2.0, trainable: false}
    sq: {type: Lambda, function: yolo_loss}
    out: {type: Dense, units: 1}
compile: {loss: yolo_loss}
"""
    loaded = load_text(write, text)
    assert loaded.recipe.plugins == ["my_plugin"]
    write("my_plugin.py", "class Scale:\n    def __init__(self, factor):\n        pass\n")
    with pytest.raises(RecipeError) as caught:
        load_text(write, text.replace("factor: 2.0, trainable: false", "factr: 2.0"))
    assert [p.message for p in caught.value.problems] == [
        "plugin class 'Scale': its __init__ takes no **kwargs, but Keras passes `name` (and `trainable`, `dtype` when it reloads the model); write `def __init__(self, ..., **kwargs)` and call `super().__init__(**kwargs)`",
        "Scale has no argument 'factr' (did you mean 'factor'?)",
        "Lambda function 'yolo_loss' is not allowed: use keras.ops.*, keras.activations.* or a function a plugin defines",
        "unknown loss 'yolo_loss'; use a keras.losses name, or define one in a module listed under `plugins:`",
    ]


def test_safe_mode_refuses_code(write) -> None:
    recipe = write(
        "r.yaml",
        "plugins: [json]\nmodel:\n  inputs: {x: [4]}\n  layers: {out: {type: Dense, units: 1}}\n"
        "data: {train: {source: python, function: 'my.data:load'}}\n",
    )
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe, safe=True)
    assert [p.message.split(":")[0] for p in caught.value.problems] == ["refused in --safe mode (KCFG_SAFE=1)"] * 2
