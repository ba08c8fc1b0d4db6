"""data_parallel on the JAX backend: worker processes on this machine, one process over virtual devices, a lost worker.

The backend is chosen once per process, so every JAX run here is a `kcfg train` subprocess,
under a hard timeout (a collective that never completes ignores SIGTERM), and each test
stops every process it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.tf]

RECIPE = """\
name: dp
seed: 7
model:
  inputs: {x: [8]}
  layers:
    hidden: {type: Dense, units: 16, activation: relu}
    norm: {type: BatchNormalization}
    y: {type: Dense, units: 1}
data:
  train: {source: synthetic, samples: 200, seed: 1}
  validation: {source: synthetic, samples: 64, seed: 2}
  test: {source: synthetic, samples: 50, seed: 3}
compile: {optimizer: adam, loss: mse, metrics: [mae]}
fit: {batch_size: 32, epochs: 3}
runtime:
  backend: jax
  distribute: {strategy: data_parallel, processes: 2}
"""
RUN_FILES = {"manifest.json", "history.csv", "metrics.json", "model.keras", "recipe.yaml", "summary.txt"}
LIMIT = 240  # seconds for one kcfg train; far above the ~30 s it takes


def kcfg(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = LIMIT) -> subprocess.CompletedProcess[str]:
    command = ["timeout", "-s", "KILL", str(timeout), sys.executable, "-m", "kcfg", *args]
    return subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout + 30)


def weights(run: Path) -> list[np.ndarray]:
    import keras

    return list(keras.saving.load_model(run / "model.keras").get_weights())


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "dp.yaml"
    path.write_text(RECIPE)
    return path


def test_two_local_workers_train_as_one_process(recipe: Path, tmp_path: Path) -> None:
    two, one = tmp_path / "two", tmp_path / "one"
    temporary = set(Path(tempfile.gettempdir()).glob("kcfg-process-*"))
    result = kcfg("train", str(recipe), "--run-dir", str(two), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]  # the launcher exits 0 only when both workers did
    assert RUN_FILES <= {p.name for p in two.iterdir()}
    manifest = json.loads((two / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == 3
    assert (two / manifest["resume_weights"]).is_file()
    runtime = manifest["runtime"]
    assert (runtime["backend"], runtime["processes"], runtime["strategy"], runtime["replicas"]) == ("jax", 2, "DataParallel", 2)
    assert (runtime["global_batch_size"], runtime["per_process_batch_size"]) == (32, 16)
    assert [row.split(",")[0] for row in (two / "history.csv").read_text().splitlines()[1:]] == ["0", "1", "2"]
    assert set(json.loads((two / "metrics.json").read_text())) == {"train", "validation", "test"}
    assert f"run: {two}" in result.stdout and result.stdout.count("run:") == 1  # process 0 speaks for the run

    result = kcfg("train", str(recipe), "--run-dir", str(one), "--set", "runtime.distribute.processes=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((one / "manifest.json").read_text())["runtime"]["processes"] == 1
    for a, b in zip(weights(two), weights(one), strict=True):  # the .keras saved on JAX loads here, on TensorFlow
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert set(Path(tempfile.gettempdir()).glob("kcfg-process-*")) == temporary  # the other worker's run is gone


def test_one_process_over_two_virtual_devices(recipe: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    result = kcfg("train", str(recipe), "--run-dir", str(run), "--set", "runtime.distribute.processes=1", "--set", "fit.epochs=1", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    runtime = json.loads((run / "manifest.json").read_text())["runtime"]
    assert (runtime["processes"], runtime["replicas"], runtime["per_replica_batch_size"]) == (1, 2, 16)
    assert runtime["devices"] == ["cpu:0", "cpu:1"]


#: The source of each stream format, over the files tests/test_streams.py writes (100 rows: features a, b, c and a 0/1 y).
STREAMS = {
    "csv": "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y}",
    "parquet": "{source: parquet, path: data.parquet, x: {x: [a, b, c]}, y: y}",
    "tfrecord": "{source: tfrecord, path: 'part-*.tfrecord', compression: GZIP, features: {x: {shape: [3]}, y: {dtype: int64}}}",
}


@pytest.mark.parametrize("kind", list(STREAMS))
def test_a_streamed_file_trains_on_two_workers(recipe: Path, tmp_path: Path, kind: str) -> None:
    from . import test_streams  # imports TensorFlow: not while collecting, which make check does with this module

    writers = {"csv": test_streams.write_csv_shards, "parquet": lambda folder: test_streams.write_parquet(folder / "data.parquet"), "tfrecord": test_streams.write_tfrecords}
    writers[kind](tmp_path)
    source = STREAMS[kind]
    run = tmp_path / "run"
    sets = ["--set", "model.inputs.x=[3]", "--set", "fit.batch_size=16", "--set", f"data.train={source}", "--unset", "data.validation", "--set", f"data.test={source}", "--set", "fit.validation_split=0.25", "--set", "fit.epochs=1"]
    result = kcfg("train", str(recipe), "--run-dir", str(run), *sets, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["runtime"]["processes"] == 2
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) == {"train", "validation", "test"} and all(np.isfinite(v) for part in metrics.values() for v in part.values())


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc: no extra package)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def worker_pids(launcher: int) -> dict[int, int]:
    """process id -> pid of the `kcfg train` workers a launcher started."""
    pids = {}
    for pid in children(launcher):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--process-id" in argv:
            pids[int(argv[argv.index(b"--process-id") + 1])] = pid
    return pids


def test_a_killed_worker_stops_the_other_and_resume_finishes(recipe: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    longer = ["--set", "fit.epochs=6", "--set", "data.train.samples=3200"]  # 100 steps an epoch: time to be killed mid-epoch
    launcher = subprocess.Popen([sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(run), *longer], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started: list[int] = []
    try:
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline and launcher.poll() is None:
            manifest = run / "manifest.json"
            if manifest.is_file() and json.loads(manifest.read_text() or "{}").get("epochs_completed", 0) >= 1:
                break
            time.sleep(0.5)
        started = list(worker_pids(launcher.pid).values())
        assert len(started) == 2, "the launcher did not start two workers"
        time.sleep(1.0)  # into the second epoch
        os.kill(worker_pids(launcher.pid)[1], signal.SIGKILL)
        killed_at = time.monotonic()
        stdout, stderr = launcher.communicate(timeout=120)
        stopped_after = time.monotonic() - killed_at
    finally:
        for pid in [launcher.pid, *started]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        launcher.wait()
    assert launcher.returncode == 1, stderr[-3000:]
    assert "kcfg train: worker 1 of 2 exited with code -9; stopping the others" in stderr, stderr
    assert "process 0 of 2 lost the other processes" in stderr  # it noticed by itself, in seconds
    assert stopped_after < 30, stopped_after
    assert all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2] for pid in started)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed" and 1 <= manifest["epochs_completed"] < 6

    result = kcfg("train", str(recipe), "--resume", "--run-dir", str(run), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == 6
    assert [int(row.split(",")[0]) for row in (run / "history.csv").read_text().splitlines()[1:]] == list(range(6))


def test_workers_on_several_machines_are_one_command_each(recipe: Path, tmp_path: Path) -> None:
    """What each machine runs: `--coordinator HOST:PORT --num-processes N --process-id I` (here both on 127.0.0.1)."""
    from kcfg.run.cluster import free_port

    run = tmp_path / "run"
    coordinator = f"127.0.0.1:{free_port()}"
    common = ["timeout", "-s", "KILL", str(LIMIT), sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(run), "--set", "fit.epochs=1",
              "--coordinator", coordinator, "--num-processes", "2", "--process-id"]
    workers = [subprocess.Popen([*common, str(i)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    try:
        outputs = [w.communicate(timeout=LIMIT + 30) for w in workers]
    finally:
        for w in workers:
            w.kill()
            w.wait()
    assert [w.returncode for w in workers] == [0, 0], outputs[1][1][-3000:]
    assert f"run: {run}" in outputs[0][0]
    assert "process 1 of 2: done (process 0 wrote the run directory)" in outputs[1][0]
    assert json.loads((run / "manifest.json").read_text())["status"] == "completed"


def test_choosing_the_backend_and_launching_load_no_keras(recipe: Path, tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from kcfg.run import Training, TrainingRequest\n"
        f"training = Training.open(TrainingRequest({str(recipe)!r}))\n"
        "print(os.environ['KERAS_BACKEND'], training.workers_to_start, sorted(m for m in ('keras', 'jax', 'tensorflow') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["jax", "2", "[]"], result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coordinator", "nohost", "--num-processes", "2"], "kcfg train: --coordinator takes HOST:PORT"),
        (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--process-id", "2"], "--process-id must be 0 to 1 for --num-processes 2, got 2"),
        (["--coordinator", "127.0.0.1:1", "--num-processes", "3"], "fit.batch_size: the global batch (32) must divide evenly among the 3 processes"),
        (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--set", "runtime.backend=tensorflow", "--set", "runtime.distribute=none"], "runtime.distribute: --coordinator starts a data_parallel worker"),
    ],
)
def test_worker_options_are_checked_before_anything_starts(recipe: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = kcfg("train", str(recipe), "--run-dir", str(tmp_path / "run"), *args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "run").exists()


def test_shipped_recipes_smoke_on_both_backends(tmp_path: Path) -> None:
    """Backend-neutral recipes pass on JAX too; without --backend each runs on its own (the JAX one in a second process)."""
    neutral = ["recipes/mnist_mlp.yaml", "recipes/ensemble.yaml", "recipes/siamese.yaml", "recipes/custom_layer.yaml"]
    result = kcfg("smoke", "--backend", "jax", "--format", "json", *neutral, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert [r["recipe"] for r in json.loads(result.stdout)["recipes"] if r["passed"]] == neutral
    result = kcfg("smoke", "recipes/mnist_mlp.yaml", "recipes/mnist_data_parallel.yaml", cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line.split("  (")[0] + ("  jax" if ", jax)" in line else "") for line in result.stdout.splitlines()]
    assert lines == ["ok    recipes/mnist_mlp.yaml", "ok    recipes/mnist_data_parallel.yaml  jax"]
