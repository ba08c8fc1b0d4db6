"""kcfg's recorder and the fit around it: per-batch checks where Keras dispatches them, the collector off long-lived objects."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, kcfg, user_environment

pytestmark = pytest.mark.tf

RECIPE = """
plugins: [probe.py]
model:
  inputs: {x: [4]}
  layers:
    seen: {type: FreezeProbe}
    y: {type: Dense, units: 1}
compile: {optimizer: sgd, loss: mse}
fit: {batch_size: 16, epochs: 1, verbose: 0}
data:
  train: {source: synthetic, samples: 64, seed: 1}
"""
#: A layer that notes how many objects the collector has frozen each time Keras calls it (building, tracing a step).
PROBE = """
import gc, os
import keras

@keras.saving.register_keras_serializable(package="kcfg_test")
class FreezeProbe(keras.layers.Layer):
    def call(self, inputs):
        with open(os.path.join(os.path.dirname(__file__), "frozen.txt"), "a") as handle:
            handle.write(f"{gc.get_freeze_count()}\\n")
        return inputs
"""


#: Fits a tiny model with the recorder on the backend the environment names; prints which thread checked each batch,
#: and what the recorder kept after an interrupt that a callback thread or the training thread found at batch 2.
CHECKS = """
import json, sys, tempfile, threading
from pathlib import Path
import keras, numpy as np
from kcfg.run.interrupts import InterruptWatch
from kcfg.run.recorder import RunRecorder
from kcfg.run.run_dir import start

folder = Path(tempfile.mkdtemp())
(folder / "r.yaml").write_text("{}")
threads = []

class Watched(RunRecorder):
    def on_train_batch_end(self, batch, logs=None):
        threads.append(threading.current_thread() is threading.main_thread())
        super().on_train_batch_end(batch, logs)

def fit(name, watch, *others):
    run, lock = start(folder / name, overwrite=False, recipe_file=folder / "r.yaml", overrides=[], timestamp="t", seed=None, argv=[])
    lock.release()
    recorder = Watched(run, [], watch)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    status = "finished"
    try:
        model.fit(np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32"), batch_size=16, epochs=1, verbose=0, callbacks=[*others, recorder])
    except KeyboardInterrupt:
        status = "interrupted"
    return status, recorder.rows, sorted(p.name for p in run.path.glob("*.weights.h5"))

watch = InterruptWatch()

class AskAtBatch2(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        watch.requested = watch.requested or batch == 2  # as a swallowed Ctrl-C leaves it

plain = fit("plain", InterruptWatch())
on_main = list(threads)
print(json.dumps({"plain": plain, "on_main_thread": on_main, "asked": fit("asked", watch, AskAtBatch2())}))
"""


@pytest.mark.parametrize(("backend", "on_main_thread"), [("tensorflow", True), ("jax", False)])
def test_batch_checks_run_where_keras_dispatches_them_and_an_interrupt_keeps_the_epoch_unrecorded(backend: str, on_main_thread: bool) -> None:
    """TensorFlow's Keras backend calls batch hooks on the training thread; on JAX, Keras's callback thread runs them."""
    env = {**user_environment(), "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", CHECKS], cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    status, rows, weights = seen["plain"]
    assert status == "finished" and [row["epoch"] for row in rows] == [0] and weights == ["resume-1.weights.h5"]
    assert seen["on_main_thread"] == [on_main_thread] * 4
    assert seen["asked"] == ["interrupted", [], []]


@pytest.mark.parametrize("command", ["train", "smoke"])
def test_steps_are_traced_with_the_objects_alive_before_them_frozen_and_freed_after(write, tmp_path: Path, command: str) -> None:
    write("probe.py", PROBE)
    recipe = write("r.yaml", RECIPE)
    result = kcfg(command, str(recipe), *(["--run-dir", str(tmp_path / "run")] if command == "train" else []))
    assert result.returncode == 0, result.stderr
    counts = [int(line) for line in (tmp_path / "frozen.txt").read_text().split()]
    assert max(counts) > 100_000, counts  # TensorFlow, Keras and the recipe, while the train step was traced
    assert gc.get_freeze_count() == 0
