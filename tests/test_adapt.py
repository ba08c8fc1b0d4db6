"""`adapt:` (RECIPE.md 4.2): preprocessing layers adapted on their split, compared with `adapt()` by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kcfg.recipe import load_recipe  # noqa: E402
from kcfg.run import Training, TrainingRequest, smoke  # noqa: E402
from kcfg.run.prepare import prepare  # noqa: E402
from kcfg.run.trained import TrainedRun  # noqa: E402

from .conftest import REPO  # noqa: E402

HEART = REPO / "recipes" / "heart_disease.yaml"
INTEGER_COLUMNS = ["sex", "cp", "fbs", "restecg", "exang", "ca"]
NUMERIC_COLUMNS = ["age", "trestbps", "chol", "thalach", "oldpeak", "slope"]


def heart_training_columns() -> dict[str, np.ndarray]:
    """The columns of data/heart.csv that fit trains on: the first 80% (validation_split: 0.2)."""
    with open(REPO / "recipes" / "data" / "heart.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows = rows[: int(len(rows) * 0.8)]
    columns = {name: np.array([int(r[name]) for r in rows]) for name in INTEGER_COLUMNS}
    columns.update({name: np.array([float(r[name]) for r in rows], "float32") for name in NUMERIC_COLUMNS})
    columns["thal"] = np.array([r["thal"] for r in rows])
    return columns


@pytest.fixture(scope="module")
def heart_model():
    return prepare(load_recipe(HEART)).model


def test_adapt_gives_the_state_of_adapt_by_hand(heart_model) -> None:
    columns = heart_training_columns()
    for name in NUMERIC_COLUMNS:
        by_hand = keras.layers.Normalization()
        by_hand.adapt(columns[name][:, None])
        adapted = heart_model.get_layer(f"{name}_encoded")
        np.testing.assert_allclose(np.asarray(adapted.mean), np.asarray(by_hand.mean), rtol=1e-5)
        np.testing.assert_allclose(np.asarray(adapted.variance), np.asarray(by_hand.variance), rtol=1e-5)
    for name in INTEGER_COLUMNS:
        by_hand = keras.layers.IntegerLookup(output_mode="multi_hot")
        by_hand.adapt(columns[name][:, None])
        assert heart_model.get_layer(f"{name}_encoded").get_vocabulary() == by_hand.get_vocabulary()
    by_hand = keras.layers.StringLookup(output_mode="multi_hot")
    by_hand.adapt(tf.constant(columns["thal"][:, None]))
    assert heart_model.get_layer("thal_encoded").get_vocabulary() == by_hand.get_vocabulary()


def test_heart_recipe_has_the_parameters_of_the_keras_script(heart_model) -> None:
    """keras-io structured_data_classification_from_scratch (its TensorFlow form), adapting by hand."""
    from keras import layers

    columns = heart_training_columns()
    inputs, encoded = [], []
    for name in INTEGER_COLUMNS + ["thal"] + NUMERIC_COLUMNS:
        dtype = "int64" if name in INTEGER_COLUMNS else "string" if name == "thal" else "float32"
        feature = keras.Input(shape=(1,), name=name, dtype=dtype)
        if name in NUMERIC_COLUMNS:
            layer = layers.Normalization()
        else:
            layer = (layers.StringLookup if name == "thal" else layers.IntegerLookup)(output_mode="multi_hot")
        layer.adapt(tf.constant(columns[name][:, None]))
        inputs.append(feature)
        encoded.append(layer(feature))
    x = layers.Dense(32, activation="relu")(layers.concatenate(encoded))
    output = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.5)(x))
    written = keras.Model(inputs, output)
    assert heart_model.count_params() == written.count_params()


def test_the_adapted_state_is_saved_with_the_model(tmp_path: Path) -> None:
    run, _ = Training.open(TrainingRequest(HEART, sets=["fit.epochs=1", "fit.verbose=0"], run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    reloaded = TrainedRun.open(run).model
    trained_here = prepare(load_recipe(HEART)).model
    assert reloaded.get_layer("thal_encoded").get_vocabulary() == trained_here.get_layer("thal_encoded").get_vocabulary()
    np.testing.assert_allclose(np.asarray(reloaded.get_layer("chol_encoded").mean), np.asarray(trained_here.get_layer("chol_encoded").mean))


SCALED = """
seed: 0
model:
  inputs: {x: [2]}
  layers:
    scaled: {type: Rescaling, scale: 10.0}
    normalized: {type: Normalization, adapt: ADAPT}
    y: {type: Dense, units: 1}
data:
  train: {source: npz, path: d.npz}
compile: {optimizer: adam, loss: mse}
fit: {batch_size: 4, verbose: 0}
"""


@pytest.fixture
def scaled_data(tmp_path: Path) -> np.ndarray:
    x = np.random.default_rng(3).normal(5.0, 2.0, size=(20, 2)).astype("float32")
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros((20, 1), "float32"))
    return x


def test_adapt_sees_the_values_that_reach_the_layer_not_the_raw_column(scaled_data: np.ndarray, write) -> None:
    model = prepare(load_recipe(write("r.yaml", SCALED.replace("ADAPT", "train")))).model
    np.testing.assert_allclose(np.asarray(model.get_layer("normalized").mean).ravel(), 10.0 * scaled_data.mean(axis=0), rtol=1e-4)


def test_adapt_steps_take_the_first_batches(scaled_data: np.ndarray, write) -> None:
    model = prepare(load_recipe(write("r.yaml", SCALED.replace("ADAPT", "{data: train, steps: 1}")))).model
    np.testing.assert_allclose(np.asarray(model.get_layer("normalized").mean).ravel(), 10.0 * scaled_data[:4].mean(axis=0), rtol=1e-4)


TEXTS = '''
import tensorflow as tf

WORDS = ["good", "great", "fine", "bad", "awful", "dull", "film", "plot"]


def reviews(count=24):
    texts = [" ".join(WORDS[(i + k) % len(WORDS)] for k in range(4)) for i in range(count)]
    labels = [float(i % 2) for i in range(count)]
    return tf.data.Dataset.from_tensor_slices((texts, labels)).batch(8)
'''


def test_text_vectorization_adapts_on_a_dataset_split(write) -> None:
    write("texts.py", TEXTS)
    recipe = """
seed: 0
model:
  inputs: {review: {shape: [], dtype: string}}
  layers:
    tokens: {type: TextVectorization, max_tokens: 20, output_sequence_length: 6, adapt: train}
    embedded: {type: Embedding, input_dim: 20, output_dim: 4}
    pooled: {type: GlobalAveragePooling1D}
    positive: {type: Dense, units: 1, activation: sigmoid}
data:
  train: {source: python, function: "texts:reviews"}
compile: {optimizer: adam, loss: binary_crossentropy}
"""
    model = prepare(load_recipe(write("text.yaml", recipe))).model
    assert set(model.get_layer("tokens").get_vocabulary()) == {"", "[UNK]", "good", "great", "fine", "bad", "awful", "dull", "film", "plot"}


def test_a_recipe_that_adapts_smokes_on_synthetic_inputs() -> None:
    result = smoke(HEART)
    assert result.passed, result.problems


def test_text_vectorization_recipe_matches_the_keras_script() -> None:
    """keras-io text_classification_from_scratch: the vocabulary of adapt() by hand, and the parameter count."""
    from keras import layers

    with open(REPO / "recipes" / "data" / "reviews.csv", newline="", encoding="utf-8") as handle:
        texts = [row["review"] for row in csv.DictReader(handle)]
    by_hand = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=500)
    by_hand.adapt(texts[: int(len(texts) * 0.8)])
    ids = keras.Input(shape=(None,), dtype="int64")
    x = layers.Dropout(0.5)(layers.Embedding(20000, 128)(ids))
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Dropout(0.5)(layers.Dense(128, activation="relu")(layers.GlobalMaxPooling1D()(x)))
    written = keras.Model(ids, layers.Dense(1, activation="sigmoid")(x))
    model = prepare(load_recipe(REPO / "recipes" / "text_vectorization.yaml")).model
    assert model.get_layer("vectorize").get_vocabulary() == by_hand.get_vocabulary()
    assert model.count_params() == written.count_params() == 2_806_273
