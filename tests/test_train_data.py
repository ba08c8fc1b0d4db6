"""Data sources and fit options, trained for real in-process on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.run import Training, TrainingRequest  # noqa: E402
from kcfg.run.feeding import split_off  # noqa: E402
from kcfg.run.prepare import prepare  # noqa: E402
from kcfg.run.train import fit_feeds  # noqa: E402

from .conftest import streamed  # noqa: E402

SMALL_MODEL = """
seed: 3
model:
  inputs: {features: [3]}
  layers:
    hidden: {type: Dense, units: 4, activation: relu}
    label: {type: Dense, units: 2, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
fit: {batch_size: 4, epochs: 1, verbose: 0}
"""


def train_recipe(file: Path, run_path: Path, sets: tuple[str, ...] = ()) -> tuple[dict, Path]:
    """Train a recipe file in this process into `run_path`; returns its metrics and run directory."""
    run, metrics = Training.open(TrainingRequest(file, sets=list(sets), run_dir=run_path, overwrite=True)).run(notes=lambda notes: None)
    return metrics, run.path


def fit_recipe(write, tmp_path: Path, text: str, name: str = "r.yaml") -> tuple[dict, Path]:
    """Train recipe text in this process; returns its metrics and run directory."""
    return train_recipe(write(name, text), tmp_path / "run")


def arrays(n: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"f": rng.normal(size=(n, 3)).astype("float32"), "label": rng.integers(0, 2, n)}


def test_npz_with_mapping(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", **arrays())
    metrics, run = fit_recipe(write, tmp_path, SMALL_MODEL + "data:\n  train: {source: npz, path: d.npz, x: {features: f}, y: {label: label}}\n")
    assert set(metrics["train"]) == {"loss", "accuracy"}
    assert (run / "model.keras").is_file()


def test_npy_folder_with_default_keys(write, tmp_path: Path) -> None:
    (tmp_path / "arrays").mkdir()
    data = arrays()
    np.save(tmp_path / "arrays" / "x.npy", data["f"])
    np.save(tmp_path / "arrays" / "y.npy", data["label"])
    loaded = load_recipe(write("r.yaml", SMALL_MODEL + "data:\n  train: {source: npy, path: arrays, take: 12}\n"))
    train_feed, validation = fit_feeds(loaded, prepare(loaded).feeder)
    assert train_feed.x.shape == (12, 3) and validation is None
    np.testing.assert_array_equal(train_feed.y, data["label"][:12])


def test_csv_columns_stack_into_one_input(write, tmp_path: Path) -> None:
    rows = ["a,b,c,label,w"] + [f"{i},{i * 2},{i * 3},{i % 2},1" for i in range(10)]
    write("d.csv", "\n".join(rows) + "\n")
    loaded = load_recipe(write("r.yaml", SMALL_MODEL + "data:\n  train: {source: csv, path: d.csv, x: {features: [a, b, c]}, y: label, sample_weight: w}\n"), sets=["fit.shuffle=false"])
    train_feed, _ = fit_feeds(loaded, prepare(loaded).feeder)
    x, y, weights = streamed(train_feed)
    assert x.shape == (10, 3) and list(x[2]) == [2.0, 4.0, 6.0] and train_feed.rows is None  # a CSV's rows are counted only when needed
    assert list(y[:3]) == [0, 1, 0] and weights.shape == (10,)


def test_images_folder(write, tmp_path: Path) -> None:
    for label in ("cats", "dogs"):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(3):
            pixels = tf.constant(np.full((6, 6, 3), 40 * i, "uint8"))
            (tmp_path / "images" / label / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    metrics, _ = fit_recipe(write, tmp_path, """
model:
  inputs: {image: [6, 6, 3]}
  layers:
    flat: {type: Flatten}
    label: {type: Dense, units: 2, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
fit: {batch_size: 2, epochs: 1, verbose: 0, validation_split: 0.5}
data:
  train: {source: images, path: images, image_size: [6, 6], shuffle_buffer: 8}
""")
    assert set(metrics["validation"]) == {"loss"}


PYTHON_SOURCES = '''
import keras
import numpy as np
import tensorflow as tf

def data(n=16):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), rng.integers(0, 2, n)

def arrays():
    return data()

def dataset(batch=4):
    return tf.data.Dataset.from_tensor_slices(data()).batch(batch)

class Batches(keras.utils.PyDataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):
        x, y = data()
        return x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]

def py_dataset():
    return Batches()

def generator():
    x, y = data()
    while True:
        for i in range(4):
            yield x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]
'''


@pytest.mark.parametrize("function", ["arrays", "dataset", "py_dataset", "generator"])
def test_python_sources(write, tmp_path: Path, function: str) -> None:
    write("my_data.py", PYTHON_SOURCES)
    steps = "\n  steps_per_epoch: 4" if function == "generator" else ""
    text = SMALL_MODEL.replace("fit: {batch_size: 4, epochs: 1, verbose: 0}", f"fit:\n  batch_size: 4\n  epochs: 2\n  verbose: 0{steps}")
    metrics, run = fit_recipe(write, tmp_path, text + f"data:\n  train: {{source: python, function: 'my_data:{function}'}}\n")
    assert np.isfinite(metrics["train"]["loss"])
    assert (run / "history.csv").read_text().count("\n") == 3  # header and two epochs


@pytest.mark.parametrize("function", ["dataset", "py_dataset"])
def test_validation_split_of_streams_holds_out_the_last_batches(write, tmp_path: Path, function: str) -> None:
    write("my_data.py", PYTHON_SOURCES)
    loaded = load_recipe(write("r.yaml", SMALL_MODEL + f"data:\n  train: {{source: python, function: 'my_data:{function}'}}\n"))
    feed = prepare(loaded).feeder.feed(loaded.recipe.data.train, ("data", "train"))
    head, tail = split_off(feed, 0.25)
    batches = lambda stream: [y for _, y in stream] if function == "dataset" else [stream[i][1] for i in range(len(stream))]  # noqa: E731
    all_labels = np.concatenate(batches(feed.x))
    np.testing.assert_array_equal(np.concatenate(batches(head.x) + batches(tail.x)), all_labels)
    assert len(batches(tail.x)) == 1


def test_validation_split_trains_on_a_tf_data_source(write, tmp_path: Path) -> None:
    write("my_data.py", PYTHON_SOURCES)
    metrics, _ = fit_recipe(write, tmp_path, SMALL_MODEL.replace("verbose: 0", "verbose: 0, validation_split: 0.25") + "data:\n  train: {source: python, function: 'my_data:dataset'}\n")
    assert set(metrics["validation"]) == {"loss", "accuracy"}


def test_missing_key_is_reported_before_training(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", **arrays())
    with pytest.raises(RecipeError) as caught:
        fit_recipe(write, tmp_path, SMALL_MODEL + "data:\n  train: {source: npz, path: d.npz, x: {features: feats}, y: label}\n")
    assert [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems] == [
        "r.yaml:11:41: data.train.x.features: no key or column 'feats' (there are: f, label)"
    ]
    assert not (tmp_path / "run").exists()


def test_shape_mismatch_is_reported_before_training(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((8, 5), "float32"), y=np.zeros(8, "int64"))
    with pytest.raises(RecipeError) as caught:
        fit_recipe(write, tmp_path, SMALL_MODEL + "data:\n  train: {source: npz, path: d.npz}\n")
    assert str(caught.value.problems[0]).endswith("data.train.x: array of shape (8, 5) does not fit 'features', which takes (samples, 3)")


def weighted_loss(write, tmp_path: Path, extra: str, weights: np.ndarray | None = None) -> float:
    data = arrays(40)
    if weights is not None:
        data["w"] = weights
    np.savez(tmp_path / "d.npz", **data)
    mapping = ", sample_weight: w" if weights is not None else ""
    text = SMALL_MODEL.replace("fit: {batch_size: 4, epochs: 1, verbose: 0}", "fit: {batch_size: 40, epochs: 1, verbose: 0, shuffle: false" + extra + "}")
    metrics, _ = fit_recipe(write, tmp_path, text + f"data:\n  train: {{source: npz, path: d.npz, x: f, y: label{mapping}}}\n")
    return metrics["train"]["loss"]


def test_class_weight_and_sample_weight_change_the_loss(write, tmp_path: Path) -> None:
    plain = weighted_loss(write, tmp_path, "")
    assert weighted_loss(write, tmp_path, "") == pytest.approx(plain)
    assert weighted_loss(write, tmp_path, ", class_weight: {0: 1.0, 1: 4.0}") != pytest.approx(plain, rel=1e-3)
    assert weighted_loss(write, tmp_path, ", class_weight: {0: 0.0, 1: 0.0}") == 0.0
    assert weighted_loss(write, tmp_path, "", np.zeros(40, "float32")) == 0.0
    assert weighted_loss(write, tmp_path, "", np.full(40, 2.0, "float32")) == pytest.approx(2 * plain, rel=1e-5)


def test_total_loss_is_the_weighted_sum_of_output_losses(write, tmp_path: Path) -> None:
    metrics, _ = fit_recipe(write, tmp_path, """
seed: 1
model:
  inputs: {x: [6]}
  layers:
    shared: {type: Dense, units: 8, activation: relu}
    score: {type: Dense, units: 1, input: shared}
    kind: {type: Dense, units: 3, activation: softmax, input: shared}
  outputs: [score, kind]
compile:
  optimizer: adam
  loss: {score: mean_squared_error, kind: categorical_crossentropy}
  loss_weights: {score: 1.0, kind: 0.2}
  metrics: {kind: [accuracy]}
fit: {batch_size: 16, epochs: 1, verbose: 0}
data:
  train: {source: synthetic, samples: 64, seed: 1}
  test: {source: synthetic, samples: 64, seed: 2}
""")
    test = metrics["test"]
    assert test["loss"] == pytest.approx(1.0 * test["score_loss"] + 0.2 * test["kind_loss"], rel=1e-4)
    assert "kind_accuracy" in test


def test_compile_options_reach_keras(write) -> None:
    loaded = load_recipe(write("r.yaml", """
model:
  inputs: {x: [3]}
  layers:
    a: {type: Dense, units: 2, activation: softmax, input: x}
    b: {type: Dense, units: 1, input: x}
  outputs: [a, b]
compile:
  optimizer:
    type: SGD
    momentum: 0.9
    nesterov: true
    learning_rate: {type: ExponentialDecay, initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5}
  loss: {a: {type: SparseCategoricalCrossentropy, from_logits: false}, b: null}
  loss_weights: [1.0, 0.0]
  metrics: {a: [accuracy, {type: SparseTopKCategoricalAccuracy, k: 1}], b: mae}
  weighted_metrics: [mse]
  steps_per_execution: 2
  jit_compile: false
  run_eagerly: true
"""))
    model = prepare(loaded).model
    optimizer = model.optimizer
    assert type(optimizer).__name__ == "SGD" and optimizer.nesterov and optimizer.momentum == 0.9
    assert type(optimizer._learning_rate).__name__ == "ExponentialDecay"
    assert model.run_eagerly is True and model.jit_compile is False and model.steps_per_execution == 2
    assert model.loss == {"a": model.loss["a"]} and type(model.loss["a"]).__name__ == "SparseCategoricalCrossentropy"


@pytest.mark.parametrize("recipe", ["yolo_style_loss", "custom_layer", "siamese", "text_classifier"])
def test_shipped_recipes_with_special_losses_train(tmp_path: Path, recipe: str) -> None:
    from .conftest import REPO

    metrics, _ = train_recipe(REPO / "recipes" / f"{recipe}.yaml", tmp_path / "run", ("fit.epochs=1", "fit.verbose=0"))
    assert np.isfinite(metrics["train"]["loss"])
    assert (tmp_path / "run" / "model.keras").is_file()


def test_a_loss_that_does_not_fit_the_targets_is_a_recipe_error(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", **arrays())
    text = SMALL_MODEL.replace("loss: sparse_categorical_crossentropy", "loss: categorical_crossentropy") + "data:\n  train: {source: npz, path: d.npz, x: f, y: label}\n"
    with pytest.raises(RecipeError) as caught:
        fit_recipe(write, tmp_path, text)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{tmp_path / 'r.yaml'}:8:28: compile.loss: Keras rejected the first training step: Arguments `target` and `output` must have the same")
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "failed"
