"""`{factory: NAME, ...}`: plugin functions that return a loss or metric, trained and reloaded in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.run import Training, TrainingRequest, find_run, smoke  # noqa: E402
from kcfg.run.trained import TrainedRun  # noqa: E402

from .conftest import REPO  # noqa: E402

PLUGIN = '''
from keras import ops


def scaled_error(scale=1.0):
    def scaled_mse(y_true, y_pred):
        return scale * ops.mean(ops.square(y_true - y_pred), axis=-1)
    return scaled_mse


def within(tolerance=0.5):
    def close_enough(y_true, y_pred):
        return ops.mean(ops.cast(ops.abs(y_true - y_pred) < tolerance, "float32"), axis=-1)
    return close_enough
'''

RECIPE = """
seed: 2
plugins: [factories.py]
model:
  inputs: {x: [3]}
  layers:
    hidden: {type: Dense, units: 4, activation: relu}
    y: {type: Dense, units: 1}
data:
  train: {source: npz, path: d.npz}
  test: {source: npz, path: d.npz}
compile:
  optimizer: adam
  loss: {factory: scaled_error, scale: 3.0}
  metrics: [{factory: within, tolerance: 0.25}]
fit: {batch_size: 4, epochs: 2, verbose: 0}
"""


@pytest.fixture
def factory_recipe(write, tmp_path: Path) -> Path:
    write("factories.py", PLUGIN)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(16, 3)).astype("float32"), y=rng.normal(size=(16, 1)).astype("float32"))
    return write("r.yaml", RECIPE)


def test_a_factory_loss_trains_and_its_run_reloads(factory_recipe: Path, tmp_path: Path) -> None:
    run, metrics = Training.open(TrainingRequest(factory_recipe, run_dir=tmp_path / "run", overwrite=True)).run(notes=lambda notes: None)
    assert set(metrics["train"]) == {"loss", "close_enough"}
    trained = TrainedRun.open(find_run(run.path), factory_recipe)  # the recipe names the plugin; the run folder alone may not
    assert trained.model.loss.__name__ == "scaled_mse"
    again = trained.evaluate()
    assert again["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-5)
    assert again["close_enough"] == pytest.approx(metrics["test"]["close_enough"], rel=1e-5)


def test_the_factory_arguments_reach_the_loss(factory_recipe: Path, tmp_path: Path) -> None:
    from kcfg.run.prepare import prepare

    model = prepare(load_recipe(factory_recipe)).model
    y_true, y_pred = np.zeros((2, 1), "float32"), np.ones((2, 1), "float32")
    assert float(keras.ops.mean(model.loss(y_true, y_pred))) == pytest.approx(3.0)


def test_a_shipped_factory_recipe_smokes() -> None:
    result = smoke(REPO / "recipes" / "siamese_contrastive.yaml")
    assert result.passed, result.problems


def test_two_calls_that_make_one_name_are_refused_where_written(factory_recipe: Path, write) -> None:
    from kcfg.run.prepare import prepare

    text = factory_recipe.read_text().replace("metrics: [{factory: within, tolerance: 0.25}]", "metrics: [{factory: scaled_error, scale: 1.0}]")
    with pytest.raises(RecipeError, match=r"compile\.metrics\[0\]: .*both return a function named 'scaled_mse'"):
        prepare(load_recipe(write("twice.yaml", text)))


def test_a_monitor_on_a_factory_metric_is_not_called_unknown(factory_recipe: Path, write) -> None:
    """A factory's metric is logged under its function's name, which only running the factory tells."""
    text = factory_recipe.read_text() + "callbacks:\n  - {type: EarlyStopping, monitor: close_enough, mode: max}\n"
    assert load_recipe(write("monitor.yaml", text)).warnings == []
