"""`kcfg import` fidelity (issue 14): saved Keras models as users write them, imported and rebuilt equal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .conftest import kcfg

keras = pytest.importorskip("keras")

from kcfg.builder import build_model  # noqa: E402
from kcfg.builder.objects import ObjectFactory  # noqa: E402
from kcfg.importer import import_recipe, read_model_config  # noqa: E402
from kcfg.recipe import dump_yaml, load_recipe  # noqa: E402

from .keras_structure import structure  # noqa: E402


def imported(path: Path, tmp_path: Path) -> tuple[dict[str, Any], Any]:
    """The recipe data of a saved model, and the model its recipe builds."""
    data = import_recipe(read_model_config(path), ObjectFactory({}))
    (tmp_path / "imported.yaml").write_text(dump_yaml(data))
    return data, build_model(load_recipe(tmp_path / "imported.yaml")).model


def test_attention_block_imports_keyword_calls_and_ops(tmp_path: Path) -> None:
    layers = keras.layers
    tokens = keras.Input((12, 16), name="tokens")
    context = keras.Input((7, 16), name="context")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="cross")(query=tokens, value=context, key=context)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm1")(tokens + attended)
    selfish = layers.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1, name="self")(x, x)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm2")(x + selfish)
    x = keras.ops.mean(x, axis=1)
    model = keras.Model([context, tokens], layers.Dense(3, name="head")(x))  # inputs not in creation order
    model.save(tmp_path / "attention.keras")
    data, rebuilt = imported(tmp_path / "attention.keras", tmp_path)
    layer_entries = data["model"]["layers"]
    assert list(data["model"]["inputs"]) == ["context", "tokens"]
    assert layer_entries["cross"]["call"] == {"query": "tokens", "value": "context", "key": "context"} and "input" not in layer_entries["cross"]
    assert layer_entries["self"]["input"] == "norm1" and layer_entries["self"]["call"] == {"value": "norm1"}
    assert {"op": "keras.ops.mean", "arguments": {"axis": 1}} in layer_entries.values()
    assert sum(1 for entry in layer_entries.values() if entry.get("op") == "keras.ops.add") == 2
    assert structure(rebuilt) == structure(model)


PLUGIN = """import keras


@keras.saving.register_keras_serializable(package="demo")
def scaled_tanh(x):
    return 2.0 * keras.ops.tanh(x)
"""


def test_registered_plugin_function_resolves_by_its_name(tmp_path: Path) -> None:
    (tmp_path / "demo_functions.py").write_text(PLUGIN)
    code = (
        "import sys; sys.path.insert(0, sys.argv[2])\n"
        "import keras, demo_functions\n"
        "x = keras.Input((4,), name='x')\n"
        "h = keras.layers.Dense(8, activation=demo_functions.scaled_tanh, name='hidden')(x)\n"
        "y = keras.layers.Lambda(demo_functions.scaled_tanh, name='squash')(h)\n"
        "keras.Model(x, y).save(sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.keras"), str(tmp_path)], check=True, capture_output=True, timeout=180)
    result = kcfg("import", str(tmp_path / "m.keras"), "--plugin", str(tmp_path / "demo_functions.py"), "-o", str(tmp_path / "m.yaml"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "m.yaml").read_text()
    assert "hidden: {type: Dense, units: 8, activation: scaled_tanh}" in text
    assert "squash: {type: Lambda, function: scaled_tanh}" in text
    rebuilt = build_model(load_recipe(tmp_path / "m.yaml")).model
    sys.path.insert(0, str(tmp_path))
    try:
        original = keras.saving.load_model(tmp_path / "m.keras")
    finally:
        sys.path.remove(str(tmp_path))
    assert structure(rebuilt) == structure(original)


def structured_model(path: Path) -> Any:
    """A keras-io structured-data model: lookups given a vocabulary or adapted, normalizations given statistics or adapted."""
    layers = keras.layers
    thal = keras.Input((1,), dtype="string", name="thal")
    ca = keras.Input((1,), dtype="int64", name="ca")
    age = keras.Input((1,), name="age")
    slope = keras.Input((1,), name="slope")
    thal_encoded = layers.StringLookup(vocabulary=["fixed", "normal", "reversible"], output_mode="one_hot", name="thal_encoded")(thal)
    ca_lookup = layers.IntegerLookup(num_oov_indices=2, output_mode="one_hot", name="ca_encoded")
    ca_lookup.adapt(np.array([[0], [1], [2], [3]]))
    age_norm = layers.Normalization(name="age_normalized")
    age_norm.adapt(np.array([[40.0], [50.0], [60.0]]))
    slope_norm = layers.Normalization(mean=1.5, variance=0.25, name="slope_normalized")
    features = layers.Concatenate(name="features")([thal_encoded, ca_lookup(ca), age_norm(age), slope_norm(slope)])
    model = keras.Model([age, slope, thal, ca], layers.Dense(1, activation="sigmoid", name="target")(features))
    model.save(path)
    return model


def preprocessed(model: Any) -> Any:
    import tensorflow as tf

    sample = {"age": [[45.0], [70.0]], "slope": [[1.0], [2.0]], "thal": [["normal"], ["other"]], "ca": [[2], [9]]}
    features = keras.Model(model.inputs, model.get_layer("features").output)
    return keras.ops.convert_to_numpy(features({name: tf.constant(value) for name, value in sample.items()}))


def test_structured_data_model_with_lookups_imports_adapted_state_as_values_or_adapt(tmp_path: Path) -> None:
    original = structured_model(tmp_path / "structured.keras")
    values = kcfg("import", str(tmp_path / "structured.keras"), "--adapted", "values", "-o", str(tmp_path / "values.yaml"))
    assert values.returncode == 0, values.stderr
    entries = yaml.safe_load((tmp_path / "values.yaml").read_text())["model"]["layers"]
    assert entries["thal_encoded"] == {"type": "StringLookup", "output_mode": "one_hot", "vocabulary": ["fixed", "normal", "reversible"], "input": "thal"}
    assert entries["ca_encoded"] == {"type": "IntegerLookup", "num_oov_indices": 2, "output_mode": "one_hot", "vocabulary": [3, 2, 1, 0], "input": "ca"}
    assert entries["age_normalized"] == {"type": "Normalization", "mean": [50.0], "variance": [66.666664], "input": "age"}
    assert entries["slope_normalized"] == {"type": "Normalization", "mean": 1.5, "variance": 0.25, "input": "slope"}
    loaded = load_recipe(tmp_path / "values.yaml")
    assert list(loaded.recipe.model.inputs) == ["age", "slope", "thal", "ca"]  # the model's order, for inputs fed as a list
    rebuilt = build_model(loaded).model
    np.testing.assert_allclose(preprocessed(rebuilt), preprocessed(original), rtol=1e-6)

    adapt = kcfg("import", str(tmp_path / "structured.keras"), "-o", str(tmp_path / "adapt.yaml"))
    assert adapt.returncode == 0, adapt.stderr
    text = (tmp_path / "adapt.yaml").read_text()
    assert text.count("  # adapted in the saved model: kcfg train adapts it on data.train") == 2
    assert "age_normalized: {type: Normalization, adapt: train, input: age}  # adapted" in text
    entries = yaml.safe_load(text)["model"]["layers"]
    assert entries["ca_encoded"] == {"type": "IntegerLookup", "num_oov_indices": 2, "output_mode": "one_hot", "adapt": "train", "input": "ca"}
    assert "data:  # the data the preprocessing layers adapt on" in text
    load_recipe(tmp_path / "adapt.yaml")


def test_compiled_multi_output_model_imports_its_compile_section(tmp_path: Path) -> None:
    layers = keras.layers
    series = keras.Input((10, 4), name="series")
    encoded = layers.Bidirectional(layers.LSTM(8), name="encoder")(series)
    summary = layers.LSTM(4, name="summary")(series)
    amount = layers.Dense(1, name="amount")(encoded)
    kind = layers.Dense(3, activation="softmax", name="kind")(layers.Concatenate(name="both")([encoded, summary]))
    model = keras.Model(series, [amount, kind])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-4, clipnorm=1.0),
        loss=["mse", keras.losses.CategoricalFocalCrossentropy(gamma=3.0)],
        loss_weights=[1.0, 0.5],
        metrics=[["mae"], ["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")]],
    )
    model.save(tmp_path / "compiled.keras")
    data, rebuilt = imported(tmp_path / "compiled.keras", tmp_path)
    assert data["compile"] == {
        "optimizer": {"type": "Adam", "learning_rate": 0.0003, "clipnorm": 1.0},
        "loss": {"amount": "mse", "kind": {"type": "CategoricalFocalCrossentropy", "gamma": 3.0}},
        "loss_weights": {"amount": 1.0, "kind": 0.5},
        "metrics": {"amount": ["mae"], "kind": ["accuracy", {"type": "TopKCategoricalAccuracy", "k": 2, "name": "top2"}]},
    }
    assert data["model"]["layers"]["encoder"] == {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 8}}
    assert data["model"]["layers"]["summary"] == {"type": "LSTM", "units": 4, "input": "series"}
    assert structure(rebuilt) == structure(model)


def test_import_writes_the_schema_modeline_and_documents_the_adapted_flag(tmp_path: Path) -> None:
    x = keras.Input((3,), name="x")
    keras.Model(x, keras.layers.Dense(2, name="out")(x)).save(tmp_path / "tiny.keras")
    (tmp_path / "project" / "schemas").mkdir(parents=True)
    (tmp_path / "project" / "schemas" / "recipe.schema.json").write_text("{}")
    (tmp_path / "project" / "recipes").mkdir()
    result = kcfg("import", str(tmp_path / "tiny.keras"), "-o", str(tmp_path / "project" / "recipes" / "tiny.yaml"))
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "project" / "recipes" / "tiny.yaml").read_text().splitlines()
    assert lines[1] == "# yaml-language-server: $schema=../schemas/recipe.schema.json"
    help_text = kcfg("import", "--help").stdout
    assert "--adapted" in help_text and "values" in help_text
