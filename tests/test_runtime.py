"""runtime: distribution over logical CPUs, determinism, mixed precision, missing hardware.

Subprocesses where the process is the point: logical CPUs (TensorFlow fixes its devices at
first use), determinism across separate runs, a two-worker cluster; the rest runs in-process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import kcfg, run_kcfg

pytestmark = [pytest.mark.slow, pytest.mark.tf]

DIGITS = ["recipes/digits_cnn.yaml", "--set", "fit.epochs=2"]


def weights(run: Path) -> list[np.ndarray]:
    import keras

    return list(keras.saving.load_model(run / "model.keras").get_weights())


def test_mirrored_over_two_logical_cpus(tmp_path: Path) -> None:
    """A subprocess: TensorFlow splits the CPU into logical devices only before its first use."""
    run = tmp_path / "run"
    result = run_kcfg("train", *DIGITS, "--run-dir", str(run), "--set", "runtime.distribute={strategy: mirrored, devices: [cpu:0, cpu:1]}")
    assert result.returncode == 0, result.stderr
    runtime = json.loads((run / "manifest.json").read_text())["runtime"]
    assert runtime["strategy"] == "MirroredStrategy" and runtime["replicas"] == 2
    assert [d.rsplit("/", 1)[-1] for d in runtime["devices"]] == ["device:CPU:0", "device:CPU:1"]
    assert runtime["global_batch_size"] == 32 and runtime["per_replica_batch_size"] == 16
    assert json.loads((run / "metrics.json").read_text())["test"]["accuracy"] > 0.8


def test_deterministic_runs_give_identical_weights(tmp_path: Path) -> None:
    """Two processes, as a user reruns a command (op determinism, once on, stays on in a process)."""
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        result = run_kcfg("train", *DIGITS, "--run-dir", str(run), "--set", "runtime.deterministic=true")
        assert result.returncode == 0, result.stderr
    first, second = (weights(run) for run in runs)
    assert len(first) == len(second) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert json.loads((runs[0] / "manifest.json").read_text())["runtime"]["deterministic"] is True


def test_mixed_bfloat16_trains_on_cpu_with_a_float32_output(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = kcfg("train", *DIGITS, "--run-dir", str(run), "--set", "runtime.mixed_precision=mixed_bfloat16")
    assert result.returncode == 0, result.stderr
    assert "recipes/digits_cnn.yaml:18:5: model.layers.digit: warning: output layer runs in float32 under mixed precision" in result.stderr
    assert json.loads((run / "manifest.json").read_text())["runtime"]["precision"] == "mixed_bfloat16"
    assert json.loads((run / "metrics.json").read_text())["test"]["accuracy"] > 0.8


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("runtime.device=gpu:3", "runtime.device: gpu:3 asked for, but this machine has 0 GPU(s) visible to TensorFlow"),
        ("runtime.distribute=tpu", "runtime.distribute: no TPU found"),
        ("runtime.distribute=multi_worker", "runtime.distribute: multi_worker reads the cluster from the TF_CONFIG environment variable, which is not set"),
        ("runtime.distribute=parameter_server", "runtime.distribute: parameter_server needs TF_CONFIG"),
    ],
)
def test_missing_hardware_or_cluster_is_a_clear_error(tmp_path: Path, setting: str, message: str) -> None:
    if setting.startswith("runtime.device") and os.environ.get("CUDA_VISIBLE_DEVICES") not in (None, ""):
        pytest.skip("a GPU machine")
    result = kcfg("train", *DIGITS, "--run-dir", str(tmp_path / "run"), "--set", setting)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "run").exists()


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(command: list[str], tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    ports = free_ports(2)
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "3"}
        processes.append(subprocess.Popen([*command, str(index)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate()) for p in processes]


def test_multi_worker_is_refused_with_the_reason(tmp_path: Path) -> None:
    """kcfg refuses on reading TF_CONFIG, before any worker connects: one worker's view shows it, in-process."""
    config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in free_ports(2)]}, "task": {"type": "worker", "index": 0}}
    result = kcfg("train", *DIGITS, "--set", "runtime.distribute=multi_worker", "--run-dir", str(tmp_path / "run"), env={"TF_CONFIG": json.dumps(config)})
    assert result.returncode == 2
    assert "Keras 3's Model.fit cannot train under MultiWorkerMirroredStrategy yet (keras-team/keras#20585" in result.stderr
    assert "use runtime.backend: jax with distribute: data_parallel" in result.stderr
    assert not (tmp_path / "run").exists()


PLAIN_KERAS_MULTI_WORKER = """
import sys
import keras, numpy as np, tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(x))
    model.compile("adam", "mse")
data = tf.data.Dataset.from_tensor_slices((np.ones((64, 4), "float32"), np.ones((64, 1), "float32"))).batch(16)
history = model.fit(data, epochs=2, verbose=0)
print(len(history.history["loss"]))
"""


@pytest.mark.xfail(strict=True, reason="Keras 3 fit under MultiWorkerMirroredStrategy fails upstream (keras-team/keras#20585); when this passes, lift kcfg's refusal")
def test_plain_keras_multi_worker_fit(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(PLAIN_KERAS_MULTI_WORKER)
    results = start_workers([sys.executable, str(script)], tmp_path)
    assert [r.returncode for r in results] == [0, 0], results[0].stderr[-2000:]
    assert results[0].stdout.strip() == results[1].stdout.strip() == "2"
