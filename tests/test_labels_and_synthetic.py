"""Sparse labels at any rank and synthetic data for every input dtype, trained in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.run import Training, TrainingRequest, smoke  # noqa: E402
from kcfg.run.array_mapping import ArrayMapping  # noqa: E402
from kcfg.run.feeding import ModelSignature  # noqa: E402
from kcfg.run.synthetic import direct_readers, feature_array  # noqa: E402

SEGMENTER = """
seed: 1
model:
  inputs: {image: [8, 8, 3]}
  layers:
    conv: {type: Conv2D, filters: 4, kernel_size: 3, padding: same, activation: relu}
    mask: {type: Conv2D, filters: 3, kernel_size: 1, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
fit: {batch_size: 4, epochs: 1, verbose: 0}
"""


def train(file: Path, run: Path) -> dict:
    _, metrics = Training.open(TrainingRequest(file, run_dir=run, overwrite=True)).run(notes=lambda notes: None)
    return metrics


@pytest.mark.parametrize("mask_shape", [(12, 8, 8), (12, 8, 8, 1)], ids=["rank3", "rank3_with_channel"])
def test_sparse_masks_of_rank_3_train(mask_shape: tuple[int, ...], write, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "masks.npz", x=rng.normal(size=(12, 8, 8, 3)).astype("float32"), y=rng.integers(0, 3, size=mask_shape))
    metrics = train(write("seg.yaml", SEGMENTER + "data:\n  train: {source: npz, path: masks.npz}\n"), tmp_path / "run")
    assert np.isfinite(metrics["train"]["loss"]) and 0.0 <= metrics["train"]["accuracy"] <= 1.0


def test_synthetic_masks_train(write, tmp_path: Path) -> None:
    metrics = train(write("seg.yaml", SEGMENTER + "data:\n  train: {source: synthetic, samples: 8}\n"), tmp_path / "run")
    assert np.isfinite(metrics["train"]["loss"])


def test_class_ids_for_a_dense_loss_say_which_loss_takes_them(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "masks.npz", x=np.zeros((4, 8, 8, 3), "float32"), y=np.zeros((4, 8, 8), "int64"))
    recipe = SEGMENTER.replace("sparse_categorical_crossentropy", "categorical_crossentropy") + "data:\n  train: {source: npz, path: masks.npz}\n"
    with pytest.raises(RecipeError, match=r"does not fit 'mask'.*class ids need a sparse loss"):
        train(write("seg.yaml", recipe), tmp_path / "run")


STRINGS = """
model:
  inputs:
    colour: {shape: [1], dtype: string}
    review: {shape: [1], dtype: string}
    flag: {shape: [1], dtype: bool}
    shade: {shape: [1], dtype: int64}
  layers:
    colour_ids: {type: StringLookup, vocabulary: [red, green, blue], output_mode: one_hot, input: colour}
    words: {type: TextVectorization, vocabulary: [good, bad, film], output_sequence_length: 4, input: review}
    embedded: {type: Embedding, input_dim: 50, output_dim: 2}
    pooled: {type: GlobalAveragePooling1D}
    shade_ids: {type: IntegerLookup, vocabulary: [10, 20], output_mode: one_hot, input: shade}
    flag_float: {type: Lambda, function: keras.ops.cast, arguments: {dtype: float32}, input: flag}
    joined: {type: Concatenate, input: [colour_ids, pooled, shade_ids, flag_float]}
    out: {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy}
"""


def test_synthetic_string_bool_and_lookup_inputs_smoke(write) -> None:
    result = smoke(write("strings.yaml", STRINGS))
    assert result.passed, result.problems


def test_synthetic_values_stay_in_what_the_reading_layers_take(write) -> None:
    from kcfg.builder import build_model

    model = build_model(load_recipe(write("strings.yaml", STRINGS))).model
    readers = direct_readers(model)
    rng = np.random.default_rng(0)
    by_name = {t._keras_history.operation.name: t for t in model.inputs}
    colours = feature_array(by_name["colour"], readers["colour"], 50, rng)
    assert set(colours.ravel()) <= {"red", "green", "blue"}
    shades = feature_array(by_name["shade"], readers["shade"], 50, rng)
    assert set(shades.ravel()) <= {10, 20} and shades.dtype == np.int64
    reviews = feature_array(by_name["review"], readers["review"], 3, rng)
    assert all(len(text.split()) > 1 for text in reviews.ravel())  # texts of several words for TextVectorization
    assert feature_array(by_name["flag"], [], 3, rng).dtype == bool


def test_string_columns_of_a_csv_feed_a_string_input(write, tmp_path: Path) -> None:
    write("colours.csv", "colour,label\n" + "".join(f"{c},{i % 2}\n" for i, c in enumerate(["red", "green", "blue"] * 4)))
    recipe = """
model:
  inputs: {colour: {shape: [1], dtype: string}}
  layers:
    ids: {type: StringLookup, vocabulary: [red, green, blue], output_mode: one_hot}
    label: {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy}
fit: {batch_size: 4, verbose: 0}
data:
  train: {source: csv, path: colours.csv, x: {colour: colour}, y: label}
"""
    metrics = train(write("colours.yaml", recipe), tmp_path / "run")
    assert np.isfinite(metrics["train"]["loss"])


def test_feeder_accepts_sparse_ids_only_for_sparse_losses() -> None:
    signature = ModelSignature(inputs={}, outputs={"mask": (8, 8, 3)}, losses={"mask": {"type": "SparseCategoricalCrossentropy"}})
    mapping = ArrayMapping(signature)
    ids = np.zeros((2, 8, 8), "int64")
    assert mapping.fit_shape(ids, (8, 8, 3), "mask", ("data",), reshape=False) is ids
