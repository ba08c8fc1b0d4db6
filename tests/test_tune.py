"""`kcfg tune`: KerasTuner's oracles over a recipe's space, each trial a real run directory.

Searches run in-process on tiny synthetic recipes; killing, a terminal and distributed
workers use real subprocesses, since the process is the point there.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcfg.recipe import load_recipe

from .conftest import REPO, kcfg

pytestmark = pytest.mark.tf  # KerasTuner imports TensorFlow

SEARCH = """
seed: 5
model:
  inputs: {{x: [4]}}
  layers:
    hidden: {{type: Dense, units: 8, activation: relu, kernel_initializer: glorot_uniform}}
    y: {{type: Dense, units: 1}}
compile: {{optimizer: {{type: Adam, learning_rate: 0.01}}, loss: mse, metrics: [mae]}}
fit: {{batch_size: 16, epochs: {epochs}, validation_split: 0.25}}
data:
  train: {{source: synthetic, samples: 64, seed: 1}}
tune:
  objective: {{metric: val_loss}}
  algorithm: {algorithm}
  max_trials: {trials}
  space:
{space}
"""
WIDE_SPACE = """\
    model.layers.hidden.units: {int: [4, 16], step: 4}
    compile.optimizer.learning_rate: {float: [1e-3, 1e-1], sampling: log}
    model.layers.hidden.kernel_initializer: {choice: [glorot_uniform, {type: HeNormal, seed: 1}]}"""


def search_recipe(write, algorithm: str = "random", trials: int = 3, epochs: int = 2, space: str = WIDE_SPACE) -> Path:
    return write("search.yaml", SEARCH.format(algorithm=algorithm, trials=trials, epochs=epochs, space=space))


def trials_csv(directory: Path) -> list[dict[str, str]]:
    with open(directory / "trials.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def history(run: Path) -> list[dict[str, str]]:
    with open(run / "history.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def search(recipe: Path, directory: Path, **options):
    from kcfg.run import TuneRequest, run_search

    return run_search(TuneRequest(recipe, run_dir=directory, quiet=True, **options), notes=lambda problems: None)


def test_space_goes_to_keras_tuner_and_values_come_back_as_overrides(write) -> None:
    from kcfg.run.search_space import hyperparameters, overrides, trial_values

    space = WIDE_SPACE.replace("model.layers.hidden.kernel_initializer: {choice: [glorot_uniform, {type: HeNormal, seed: 1}]}", "compile.optimizer: {choice: [adam, {type: SGD, learning_rate: 0.01, momentum: 0.9}]}")
    tune = load_recipe(search_recipe(write, space=space.replace("compile.optimizer.learning_rate", "fit.validation_split"))).recipe.tune
    hp = hyperparameters(tune)
    assert [p.name for p in hp.space] == list(tune.space)
    units, rate, optimizer = hp.space
    assert (units.min_value, units.max_value, units.step) == (4, 16, 4)
    assert rate.sampling == "log"
    assert optimizer.values == ['"adam"', '{"learning_rate": 0.01, "momentum": 0.9, "type": "SGD"}']
    values = trial_values({"model.layers.hidden.units": 12, "compile.optimizer": optimizer.values[1], "tuner/epochs": 3}, tune)
    assert values == {"model.layers.hidden.units": 12, "compile.optimizer": {"type": "SGD", "learning_rate": 0.01, "momentum": 0.9}}
    assert overrides({"compile.optimizer.learning_rate": 0.30000000000000004, "name": "1e-3"}) == ["compile.optimizer.learning_rate=0.30000000000000004", 'name="1e-3"']


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["random", "bayesian", "hyperband"])
def test_each_trial_is_a_run_and_best_yaml_is_the_best_trial(write, tmp_path: Path, algorithm: str) -> None:
    space = "    model.layers.hidden.units: {int: [2, 32], step: 2}" if algorithm == "bayesian" else WIDE_SPACE
    recipe = search_recipe(write, algorithm, trials=5 if algorithm == "bayesian" else 3, epochs=3, space=space)
    outcome = search(recipe, tmp_path / "search")
    directory = tmp_path / "search"
    rows = trials_csv(directory)
    assert len(rows) == len(outcome.rows) >= 3
    for row in rows:
        run = Path(row["run"])
        assert row["status"] == "completed" and manifest(run)["status"] == "completed"
        assert run.parent == directory / "trials" and (run / "model.keras").is_file()
        epochs = history(run)
        assert float(row["val_loss"]) == pytest.approx(min(float(e["val_loss"]) for e in epochs))  # the best epoch, as KerasTuner scores a History
        assert f"model.layers.hidden.units={row['model.layers.hidden.units']}" in manifest(run)["overrides"]
    best = min(rows, key=lambda row: float(row["val_loss"]))
    assert outcome.best is not None and outcome.best.trial_id == best["trial"]
    best_recipe = load_recipe(directory / "best.yaml")  # trainable where it is: data paths rewritten, no tune section
    assert best_recipe.name == "search" and best_recipe.recipe.tune is None
    assert best_recipe.data["model"]["layers"]["hidden"]["units"] == int(best["model.layers.hidden.units"])
    if algorithm == "hyperband":  # a later round continues an earlier trial's run: its first epoch is that run's, copied
        first_epochs = {row["trial"]: history(Path(row["run"]))[0] for row in rows}
        short = [row["trial"] for row in rows if row["fit.epochs"] == "1"]
        continued = [row for row in rows if row["fit.epochs"] == "3" and any(first_epochs[row["trial"]] == first_epochs[t] for t in short)]
        assert short and continued and all(len(history(Path(row["run"]))) == 3 for row in continued)


@pytest.mark.slow
def test_several_executions_of_a_trial_are_reseeded_runs_and_their_mean_is_the_objective(write, tmp_path: Path) -> None:
    recipe = search_recipe(write, trials=1, epochs=2).read_text().replace("  max_trials: 1", "  max_trials: 1\n  executions_per_trial: 2")
    directory = tmp_path / "search"
    search(write("twice.yaml", recipe), directory)
    first, second = directory / "trials" / "0", directory / "trials" / "0-2"
    assert manifest(first)["seed"] == 5 and manifest(second)["seed"] == 6 and "seed=6" in manifest(second)["overrides"]
    best = [min(float(e["val_loss"]) for e in history(run)) for run in (first, second)]
    assert float(trials_csv(directory)[0]["val_loss"]) == pytest.approx(sum(best) / 2)


@pytest.mark.slow
def test_digits_tune_finds_a_configuration_at_least_as_good_as_digits_cnn(tmp_path: Path) -> None:
    from kcfg.run import Training, TrainingRequest

    baseline, _ = Training.open(TrainingRequest(REPO / "recipes" / "digits_cnn.yaml", run_dir=tmp_path / "digits_cnn")).run(notes=lambda problems: None)
    outcome = search(REPO / "recipes" / "digits_tune.yaml", tmp_path / "search", sets=["tune.max_trials=2"])
    best_run = outcome.best.run
    baseline_metrics, best_metrics = baseline.metrics(), json.loads((best_run / "metrics.json").read_text())
    assert outcome.best.score >= max(float(e["val_accuracy"]) for e in history(baseline.path))
    assert best_metrics["test"]["accuracy"] >= baseline_metrics["test"]["accuracy"] >= 0.98


def test_a_recipe_without_tune_or_a_taken_directory_is_refused(write, tmp_path: Path) -> None:
    from kcfg.run import TuneError

    plain = write("plain.yaml", "model:\n  inputs: {x: [4]}\n  layers:\n    y: {type: Dense, units: 1}\n")
    with pytest.raises(TuneError, match="has no tune section"):
        search(plain, tmp_path / "a")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "something").write_text("x")
    with pytest.raises(TuneError, match="exists; use --resume"):
        search(search_recipe(write), taken)
    with pytest.raises(TuneError, match="no search to continue"):
        search(search_recipe(write), taken, resume=True)


def kcfg_process(*args: str, env: dict[str, str] | None = None, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kcfg", *args], cwd=REPO, env={**os.environ, **(env or {})}, text=True, **options)


@pytest.mark.slow
def test_sigkill_mid_search_then_resume_runs_no_finished_trial_again(write, tmp_path: Path) -> None:
    recipe = search_recipe(write, trials=3, epochs=40)
    directory = tmp_path / "search"
    process = kcfg_process("tune", str(recipe), "--run-dir", str(directory), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not (directory / "trials" / "1" / "history.csv").is_file():  # trial 0 finished, trial 1 under way
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    first = directory / "trials" / "0"
    assert manifest(first)["status"] == "completed" and manifest(directory / "trials" / "1")["status"] == "running"
    before = {name: (first / name).stat().st_mtime_ns for name in ("manifest.json", "history.csv", "model.keras")}
    cut_off = len(history(directory / "trials" / "1"))

    resumed = kcfg("tune", str(recipe), "--resume", "--run-dir", str(directory))  # in this process: the kill is the process's part
    out = resumed.stdout
    assert resumed.returncode == 0, resumed.stderr
    assert {name: (first / name).stat().st_mtime_ns for name in before} == before  # trial 0 was not trained again
    rows = trials_csv(directory)
    assert [row["status"] for row in rows] == ["completed"] * 3
    second = history(directory / "trials" / "1")
    assert [int(e["epoch"]) for e in second] == list(range(len(second))) and len(second) > cut_off  # continued from its last epoch
    assert out.count("trial ") >= 2 and "trial 0 " not in out  # one line per trial run by this process
    assert (directory / "best.yaml").is_file()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_local_workers_run_the_trials_of_one_chief(write, tmp_path: Path) -> None:
    recipe = search_recipe(write, trials=6, epochs=3)
    directory = tmp_path / "search"
    oracle = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(free_port())}
    args = ("tune", str(recipe), "--run-dir", str(directory))
    logs = {name: open(tmp_path / f"{name}.log", "w+") for name in ("chief", "tuner0", "tuner1")}
    processes = {name: kcfg_process(*args, env={**oracle, "KERASTUNER_TUNER_ID": name}, stdout=log, stderr=subprocess.STDOUT) for name, log in logs.items()}
    deadline = time.monotonic() + 480
    while any(p.poll() is None for p in processes.values()) and time.monotonic() < deadline:
        time.sleep(1)
    for process in processes.values():
        process.kill()  # KerasTuner's processes wait for the others forever if one of them died
        process.wait()
    for log in logs.values():
        log.close()
    chief, workers = processes["chief"], [processes["tuner0"], processes["tuner1"]]
    chief_out, *outputs = ((tmp_path / f"{name}.log").read_text() for name in logs)
    chief_err = "\n".join(f"--- {name}:\n{(tmp_path / f'{name}.log').read_text()[-3000:]}" for name in logs)
    assert chief.returncode == 0, chief_err
    assert all(worker.returncode == 0 for worker in workers), chief_err
    rows = trials_csv(directory)
    assert len(rows) == 6 and {row["status"] for row in rows} == {"completed"}
    ran_by = {manifest(Path(row["run"]))["tuner"] for row in rows}
    assert ran_by == {"tuner0", "tuner1"}
    assert "[tuner0] trial " in outputs[0] and "[tuner1] trial " in outputs[1]
    assert "best: trial" in chief_out and (directory / "best.yaml").is_file()


@pytest.mark.slow
def test_a_terminal_shows_keras_tuner_progress(write, tmp_path: Path) -> None:
    recipe = search_recipe(write, trials=1, epochs=1)
    leader, follower = pty.openpty()
    process = kcfg_process("tune", str(recipe), "--run-dir", str(tmp_path / "search"), stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "Search: Running Trial #1" in screen and "Best val_loss So Far" in screen
    assert "best: trial 0" in screen
