"""Data as Keras examples read it: keras.datasets loader arguments, headerless CSV files with label names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.run import Training, TrainingRequest  # noqa: E402
from kcfg.run.prepare import prepare  # noqa: E402
from kcfg.run.train import fit_feeds  # noqa: E402

from .conftest import streamed  # noqa: E402

IMDB_RECIPE = """
seed: 0
model:
  inputs: {tokens: {shape: [6], dtype: int32}}
  layers:
    embedded: {type: Embedding, input_dim: 10, output_dim: 2}
    pooled: {type: GlobalAveragePooling1D}
    positive: {type: Dense, units: 1, activation: sigmoid}
data:
  train: {source: keras, name: imdb, num_words: 10, maxlen: 8}
compile: {optimizer: adam, loss: binary_crossentropy}
fit: {batch_size: 4, verbose: 0}
"""


@pytest.fixture
def cached_imdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small imdb.npz in $KERAS_HOME/datasets, laid out as Keras's file (ragged word-id lists).

    Keras checks the real file's SHA-256 before it uses a cached copy, and this one cannot
    match offline: that check alone is switched off; the loader itself runs as it is.
    """
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    rng = np.random.default_rng(0)

    def reviews(count: int) -> np.ndarray:
        ragged = np.empty(count, dtype=object)
        for i in range(count):
            ragged[i] = [int(w) for w in rng.integers(1, 40, size=int(rng.integers(2, 12)))]
        return ragged

    np.savez(home / "datasets" / "imdb.npz", x_train=reviews(24), y_train=rng.integers(0, 2, 24), x_test=reviews(8), y_test=rng.integers(0, 2, 8))
    monkeypatch.setattr("keras.src.backend.config._KERAS_DIR", str(home))
    monkeypatch.setattr("keras.src.utils.file_utils.validate_file", lambda *args, **kwargs: True)


def test_imdb_takes_the_loaders_arguments_and_pads_to_the_input(cached_imdb: None, write, tmp_path: Path) -> None:
    loaded = load_recipe(write("imdb.yaml", IMDB_RECIPE))
    train, _ = fit_feeds(loaded, prepare(loaded).feeder)
    assert train.x.shape[1:] == (6,)  # padded (and cut) to the input's length, as keras.utils.pad_sequences does
    assert train.x.max() < 10  # num_words: rarer words are the out-of-vocabulary id
    expected, _ = keras.datasets.imdb.load_data(num_words=10, maxlen=8)
    assert len(train.x) == len(expected[0])  # maxlen: the loader dropped longer reviews
    np.testing.assert_array_equal(train.x, keras.utils.pad_sequences(expected[0], maxlen=6))
    _, metrics = Training.open(TrainingRequest(write("imdb.yaml", IMDB_RECIPE), run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    assert np.isfinite(metrics["train"]["loss"])


IRIS = "5.1,3.5,1.4,0.2,Iris-setosa\n7.0,3.2,4.7,1.4,Iris-versicolor\n6.3,3.3,6.0,2.5,Iris-virginica\n4.9,3.0,1.4,0.2,Iris-setosa\n"
IRIS_MODEL = """
model:
  inputs: {measures: [4]}
  layers:
    species: {type: Dense, units: 3, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
fit: {batch_size: 2, verbose: 0, shuffle: false}
data:
"""


def test_headerless_csv_by_column_index_with_label_names(write) -> None:
    write("iris.csv", IRIS)
    source = "  train: {source: csv, path: iris.csv, header: false, x: {measures: [0, 1, 2, 3]}, y: 4, labels: [Iris-setosa, Iris-versicolor, Iris-virginica]}\n"
    loaded = load_recipe(write("iris.yaml", IRIS_MODEL + source))
    x, y = streamed(fit_feeds(loaded, prepare(loaded).feeder)[0])
    assert x.shape == (4, 4) and x[1, 2] == pytest.approx(4.7)
    assert list(y) == [0, 1, 2, 0]


def test_headerless_csv_with_column_names_and_a_label_mapping(write, tmp_path: Path) -> None:
    write("iris.csv", IRIS)
    source = ("  train: {source: csv, path: iris.csv, header: false, columns: [sl, sw, pl, pw, kind],\n"
              "          x: {measures: [sl, sw, pl, pw]}, y: kind, labels: {Iris-setosa: 2, Iris-versicolor: 1, Iris-virginica: 0}}\n")
    loaded = load_recipe(write("iris.yaml", IRIS_MODEL + source))
    _, y = streamed(fit_feeds(loaded, prepare(loaded).feeder)[0])
    assert list(y) == [2, 1, 0, 2]
    _, metrics = Training.open(TrainingRequest(loaded.file, run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    assert np.isfinite(metrics["train"]["loss"])


def test_a_target_outside_the_labels_is_named(write) -> None:
    write("iris.csv", IRIS + "5.0,3.0,1.0,0.1,Iris-unknown\n")
    source = "  train: {source: csv, path: iris.csv, header: false, x: {measures: [0, 1, 2, 3]}, y: 4, labels: [Iris-setosa, Iris-versicolor, Iris-virginica]}\n"
    loaded = load_recipe(write("iris.yaml", IRIS_MODEL + source))
    with pytest.raises(RecipeError, match=r"data\.train\.labels: target value 'Iris-unknown' is not among labels"):
        prepared = prepare(loaded)
        with prepared.boundary.at(("data",)):
            fit_feeds(loaded, prepared.feeder)
