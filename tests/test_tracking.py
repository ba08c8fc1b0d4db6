"""Tracking through callbacks: MLflow's Keras callback (a re-exported dotted class) and TensorBoard in the run directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kcfg.recipe import RecipeError, load_recipe

from .conftest import REPO

TRACKED = re.search(r"<!-- file: tracked\.yaml -->\n```yaml\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)


def documented_recipe(folder: Path) -> Path:
    assert TRACKED is not None, "README.md lost its tracked.yaml block"
    path = folder / "tracked.yaml"
    path.write_text(TRACKED[1], encoding="utf-8")
    return path


def test_dotted_integration_classes_validate_and_safe_mode_refuses_the_network(tmp_path: Path, write) -> None:
    assert load_recipe(documented_recipe(tmp_path)).recipe.callbacks[0].type == "mlflow.keras.MlflowCallback"
    with pytest.raises(RecipeError, match=r"refused in --safe mode \(KCFG_SAFE=1\): mlflow.keras.MlflowCallback is not among the callbacks --safe allows"):
        load_recipe(documented_recipe(tmp_path), safe=True)  # MLflow logs wherever MLFLOW_TRACKING_URI points, a server too
    misspelt = write("m.yaml", TRACKED[1].replace("{type: mlflow.keras.MlflowCallback}", "{type: mlflow.keras.MlflowCallback, log_every_epochs: true}"))  # type: ignore[index]
    with pytest.raises(RecipeError, match="MlflowCallback has no argument 'log_every_epochs' \\(did you mean 'log_every_epoch'\\?\\)"):
        load_recipe(misspelt)
    unknown = write("u.yaml", TRACKED[1].replace("mlflow.keras.MlflowCallback", "os.system"))  # type: ignore[index]
    with pytest.raises(RecipeError, match="unknown callback 'os.system'"):
        load_recipe(unknown, safe=True)


def test_a_dotted_plugin_class_is_the_plugins_class(write) -> None:
    write("my_callbacks.py", "import keras\n\nclass Notify(keras.callbacks.Callback):\n    def __init__(self, every=1):\n        super().__init__()\n")
    recipe = write("r.yaml", "plugins: [my_callbacks]\nmodel:\n  inputs: {x: [2]}\n  layers:\n    out: {type: Dense, units: 1}\ncallbacks:\n  - {type: my_callbacks.Notify, every: 2}\n")
    assert load_recipe(recipe).recipe.callbacks[0].type == "my_callbacks.Notify"
    with pytest.raises(RecipeError, match="Notify has no argument 'evry'"):
        load_recipe(write("bad.yaml", recipe.read_text().replace("every: 2", "evry: 2")))


@pytest.mark.tf
def test_a_missing_integration_says_which_extra_installs_it() -> None:
    pytest.importorskip("keras")
    from kcfg.builder.objects import integration_class

    with pytest.raises(ValueError, match=r"no_such_tracker.keras.Callback needs no_such_tracker, which is not installed: pip install 'kcfg-keras\[tracking\]'"):
        integration_class("no_such_tracker.keras.Callback", "tracking")


@pytest.mark.slow
@pytest.mark.tf
def test_the_documented_tracking_recipe_logs_to_mlflow_and_tensorboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    recipe = documented_recipe(tmp_path)
    store = (tmp_path / "mlruns").as_uri()
    # a subprocess: MLflow's logging handlers keep the stream they found at import, which only a fresh process gives
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "MLFLOW_ALLOW_FILE_STORE": "true", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(tmp_path / "run")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "mlflow" not in result.stderr.lower()  # MLflow's callback swallows its own errors into warnings: there must be none
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # for reading the store here too
    client = mlflow.tracking.MlflowClient(store)
    [run] = client.search_runs(experiment_ids=["0"])
    assert run.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [0, 1]
    assert "val_loss" in run.data.metrics and run.data.params["optimizer_name"] == "adam"
    assert list((tmp_path / "run" / "tensorboard" / "train").glob("events.out.tfevents.*"))
    assert list((tmp_path / "run" / "tensorboard" / "validation").glob("events.out.tfevents.*"))
