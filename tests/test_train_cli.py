"""`kcfg train`, `evaluate` and `predict` as a user runs them: real run directories, the CLI's
`main` in this process; real subprocesses for signals and for what a process reads at start-up."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO, Ran, kcfg, run_kcfg

pytestmark = [pytest.mark.slow, pytest.mark.tf]

TINY = """
seed: 5
model:
  inputs: {x: [4]}
  layers:
    hidden: {type: Dense, units: 8, activation: relu}
    y: {type: Dense, units: 1}
compile: {optimizer: adam, loss: mse}
fit: {batch_size: 16, epochs: 2}
data:
  train: {source: synthetic, samples: 64, seed: 1}
"""


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ran, Path]:
    run = tmp_path_factory.mktemp("digits") / "run"
    return kcfg("train", "recipes/digits_cnn.yaml", "--run-dir", str(run)), run


def test_digits_cnn_reaches_the_accuracy_target(digits_run) -> None:
    result, run = digits_run
    assert result.returncode == 0, result.stderr
    test_line = next(line for line in result.stdout.splitlines() if line.startswith("test: "))
    accuracy = float(test_line.split("accuracy=")[1].split(",")[0])
    assert accuracy >= 0.93, result.stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["seed"] == 42
    assert {"kcfg", "tensorflow", "keras", "python", "platform", "command", "git_commit", "overrides"} <= set(manifest)
    for name in ("recipe.yaml", "history.csv", "summary.txt", "model.keras", "training_log.csv"):
        assert (run / name).is_file(), name
    assert "Epoch 1/15" in result.stdout and "━" not in result.stdout  # one line per epoch off a terminal


def test_evaluate_prints_and_saves_test_metrics(digits_run, tmp_path: Path) -> None:
    _, run = digits_run
    result = kcfg("evaluate", str(run))
    assert result.returncode == 0, result.stderr
    printed = dict(line.split(": ") for line in result.stdout.splitlines())
    assert float(printed["accuracy"]) >= 0.93
    other = tmp_path / "first.npz"
    with np.load(REPO / "recipes" / "data" / "digits_test.npz") as data:
        np.savez(other, x=data["x"][:50], y=data["y"][:50])
    result = kcfg("evaluate", str(run), "--data", str(other))
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "metrics.json").read_text())["test"]["accuracy"] == pytest.approx(float(dict(line.split(": ") for line in result.stdout.splitlines())["accuracy"]), abs=1e-4)


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_predict_writes_one_prediction_per_input(digits_run, tmp_path: Path, suffix: str) -> None:
    _, run = digits_run
    out = tmp_path / f"predictions{suffix}"
    result = kcfg("predict", str(run), "--input", "recipes/data/digits_test.npz", "--output", str(out))
    assert result.returncode == 0, result.stderr
    with np.load(REPO / "recipes" / "data" / "digits_test.npz") as data:
        labels = data["y"]
    if suffix == ".csv":
        rows = list(csv.reader(out.open()))
        assert rows[0] == [f"digit_{i}" for i in range(10)]
        probabilities = np.array(rows[1:], dtype=float)
    else:
        with np.load(out) as saved:
            probabilities = saved["digit"]
    assert probabilities.shape == (len(labels), 10)
    assert (probabilities.argmax(axis=1) == labels).mean() >= 0.93


def test_existing_run_directory_is_never_overwritten_silently(write, tmp_path: Path) -> None:
    recipe = write("tiny.yaml", TINY)
    run = tmp_path / "run"
    assert kcfg("train", str(recipe), "--run-dir", str(run)).returncode == 0
    first = (run / "manifest.json").read_text()
    again = kcfg("train", str(recipe), "--run-dir", str(run))
    assert again.returncode == 2
    assert again.stderr.strip() == f"kcfg train: run directory {run} exists; use --resume to continue it or --overwrite to replace it"
    assert (run / "manifest.json").read_text() == first
    assert kcfg("train", str(recipe), "--run-dir", str(run), "--overwrite").returncode == 0


def test_default_run_directory_and_overrides_in_the_manifest(write, tmp_path: Path) -> None:
    recipe = write("tiny.yaml", TINY)
    result = kcfg("train", str(recipe), "--set", "fit.epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs" / "tiny").iterdir()
    assert result.stdout.splitlines()[-1] == f"run: runs/tiny/{run.name}"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["overrides"] == ["fit.epochs=1"] and manifest["epochs_completed"] == 1


def test_nan_loss_fails_the_run_and_keeps_the_last_good_epoch(write, tmp_path: Path) -> None:
    write("explode.py", "def explode(epoch, lr):\n    return 1e30 if epoch >= 1 else lr\n")
    recipe = write("nan.yaml", TINY.replace("fit: {batch_size: 16, epochs: 2}", "fit: {batch_size: 16, epochs: 4}").replace("compile: {optimizer: adam", "plugins: [explode.py]\ncompile: {optimizer: sgd")
                   + "callbacks:\n  - {type: LearningRateScheduler, schedule: explode}\n")
    run = tmp_path / "run"
    result = kcfg("train", str(recipe), "--run-dir", str(run))
    assert result.returncode == 1, result.stderr
    assert "kcfg train: the run failed: loss became" in result.stderr and "Traceback" not in result.stderr
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["epochs_completed"] == 1
    assert (run / manifest["resume_weights"]).is_file() and not (run / "model.keras").exists()
    assert [row["epoch"] for row in csv.DictReader((run / "history.csv").open())] == ["0"]


def test_callbacks_write_checkpoints_csv_and_tensorboard_events(write, tmp_path: Path) -> None:
    recipe = write("cb.yaml", TINY.replace("epochs: 2", "epochs: 3, validation_split: 0.25") + """callbacks:
  - {type: ModelCheckpoint, filepath: "${run_dir}/checkpoints/{epoch:02d}-{val_loss:.2f}.keras", monitor: val_loss}
  - {type: ModelCheckpoint, filepath: "${run_dir}/weights/{epoch:02d}.weights.h5", save_weights_only: true}
  - {type: CSVLogger, filename: "${run_dir}/log.csv"}
  - {type: TensorBoard, log_dir: "${run_dir}/tensorboard"}
  - {type: EarlyStopping, monitor: val_loss, patience: 5}
""")
    run = tmp_path / "run"
    result = kcfg("train", str(recipe), "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert [name[:3] for name in checkpoints] == ["01-", "02-", "03-"] and all(n.endswith(".keras") for n in checkpoints)
    assert sorted(p.name for p in (run / "weights").iterdir()) == ["01.weights.h5", "02.weights.h5", "03.weights.h5"]
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and "val_loss" in rows[0]
    assert "epoch_loss" in tensorboard_tags(run / "tensorboard")


def tensorboard_tags(folder: Path) -> set[str]:
    """The summary tags in every TensorBoard event file under `folder`."""
    import tensorflow as tf

    events = (event for file in folder.rglob("events.out.tfevents.*") for event in tf.compat.v1.train.summary_iterator(str(file)))
    return {value.tag for event in events for value in event.summary.value}


def test_keras_dataset_from_a_local_cache(write, tmp_path: Path) -> None:
    """A subprocess: Keras reads KERAS_HOME once, when it is imported."""
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(home / "datasets" / "mnist.npz", x_train=rng.integers(0, 255, (64, 28, 28), dtype="uint8"), y_train=rng.integers(0, 10, 64, dtype="uint8"),
             x_test=rng.integers(0, 255, (32, 28, 28), dtype="uint8"), y_test=rng.integers(0, 10, 32, dtype="uint8"))
    run = tmp_path / "run"
    result = run_kcfg("train", "recipes/mnist_mlp.yaml", "--run-dir", str(run), "--set", "fit.epochs=1", env={"KERAS_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["test"]) == {"loss", "sparse_categorical_accuracy"}


def history_epochs(run: Path) -> list[int]:
    return [int(row["epoch"]) for row in csv.DictReader((run / "history.csv").open())]


def test_sigkill_mid_epoch_then_resume(write, tmp_path: Path) -> None:
    """The killed training is a real process (SIGKILL); the resume runs in this one."""
    recipe = write("long.yaml", TINY.replace("samples: 64", "samples: 24000").replace("epochs: 2", "epochs: 5"))
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(run)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        manifest = run / "manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("epochs_completed", 0) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read()
    time.sleep(0.4)  # well inside the third epoch
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    killed_at = json.loads((run / "manifest.json").read_text())
    assert killed_at["status"] == "running" and 2 <= killed_at["epochs_completed"] < 5
    resumed = kcfg("train", str(recipe), "--resume", "--run-dir", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert f"Epoch {killed_at['epochs_completed'] + 1}/5" in resumed.stdout and "Epoch 1/5" not in resumed.stdout
    assert history_epochs(run) == [0, 1, 2, 3, 4]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == 5
    assert_every_file_readable(run)


def assert_every_file_readable(run: Path) -> None:
    """No leftover temporary file, and every file parses in its own format."""
    import h5py
    import keras

    for path in sorted(p for p in run.rglob("*") if p.is_file()):
        assert not path.name.startswith("."), path
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".csv":
            list(csv.reader(path.open()))
        elif path.name.endswith(".weights.h5"):
            h5py.File(path, "r").close()
        elif path.suffix == ".keras":
            keras.saving.load_model(path)
        elif path.suffix in (".yaml", ".txt"):
            path.read_text()
        else:
            raise AssertionError(f"unexpected file {path}")


def test_ctrl_c_exits_130_and_resume_finishes(write, tmp_path: Path) -> None:
    """The interrupted training is a real process (SIGINT, exit 130); the resume runs in this one."""
    recipe = write("long.yaml", TINY.replace("samples: 64", "samples: 24000").replace("epochs: 2", "epochs: 3"))
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(run)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not ((run / "manifest.json").is_file() and json.loads((run / "manifest.json").read_text()).get("epochs_completed", 0) >= 1):
        time.sleep(0.05)
    assert process.poll() is None, "training ended before the signal (a very busy machine?): " + process.stderr.read()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"continue with: kcfg train {recipe} --resume --run-dir {run}" in stderr and "Traceback" not in stderr
    assert json.loads((run / "manifest.json").read_text())["status"] == "interrupted"
    assert kcfg("train", str(recipe), "--resume", "--run-dir", str(run)).returncode == 0
    assert history_epochs(run) == [0, 1, 2]


def test_predict_from_a_csv_of_pixel_columns(digits_run, tmp_path: Path) -> None:
    _, run = digits_run
    with np.load(REPO / "recipes" / "data" / "digits_test.npz") as data:
        pixels, labels = data["x"].reshape(len(data["x"]), -1)[:40], data["y"][:40]
    rows = [",".join(f"p{i}" for i in range(64))] + [",".join(str(v) for v in row) for row in pixels]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    result = kcfg("predict", str(run), "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.npz"))
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "out.npz") as saved:
        assert (saved["digit"].argmax(axis=1) == labels).mean() >= 0.9


def test_recipe_warnings_are_printed_once(write, tmp_path: Path) -> None:
    recipe = write("warn.yaml", TINY.replace("    y: {type: Dense, units: 1}", "    unused: {type: Dense, units: 3, input: x}\n    y: {type: Dense, units: 1, input: hidden}"))
    result = kcfg("train", str(recipe), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: nothing reads layer 'unused'") == 1
