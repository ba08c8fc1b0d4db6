"""`adapt:` (RECIPE.md 4.2): preprocessing layers adapted on their split, compared with `adapt()` by hand."""

from __future__ import annotations

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
from .shipped_data import training_columns, training_rows  # noqa: E402

HEART = REPO / "recipes" / "heart_disease.yaml"
INTEGER_COLUMNS = ["sex", "cp", "fbs", "restecg", "exang", "ca"]
NUMERIC_COLUMNS = ["age", "trestbps", "chol", "thalach", "oldpeak", "slope"]


@pytest.fixture(scope="module")
def heart_model():
    return prepare(load_recipe(HEART)).model


def test_adapt_gives_the_state_of_adapt_by_hand(heart_model) -> None:
    columns = training_columns("heart.csv")
    for name in NUMERIC_COLUMNS:
        by_hand = keras.layers.Normalization()
        by_hand.adapt(columns[name].astype("float32"))
        adapted = heart_model.get_layer(f"{name}_encoded")
        np.testing.assert_allclose(np.asarray(adapted.mean), np.asarray(by_hand.mean), rtol=1e-5)
        np.testing.assert_allclose(np.asarray(adapted.variance), np.asarray(by_hand.variance), rtol=1e-5)
    for name in INTEGER_COLUMNS:
        by_hand = keras.layers.IntegerLookup(output_mode="multi_hot")
        by_hand.adapt(columns[name].astype("int64"))
        assert heart_model.get_layer(f"{name}_encoded").get_vocabulary() == by_hand.get_vocabulary()
    by_hand = keras.layers.StringLookup(output_mode="multi_hot")
    by_hand.adapt(tf.constant(columns["thal"]))
    assert heart_model.get_layer("thal_encoded").get_vocabulary() == by_hand.get_vocabulary()


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


def test_text_vectorization_learns_the_vocabulary_of_adapt_by_hand() -> None:
    by_hand = keras.layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=500)
    by_hand.adapt([row["review"] for row in training_rows("reviews.csv")])
    model = prepare(load_recipe(REPO / "recipes" / "text_vectorization.yaml")).model
    assert model.get_layer("vectorize").get_vocabulary() == by_hand.get_vocabulary()


def test_a_synthetic_split_adapts_and_trains(write, tmp_path: Path) -> None:
    recipe = SCALED.replace("ADAPT", "train").replace("{source: npz, path: d.npz}", "{source: synthetic, samples: 12}")
    _, metrics = Training.open(TrainingRequest(write("r.yaml", recipe), run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    assert np.isfinite(metrics["train"]["loss"])
