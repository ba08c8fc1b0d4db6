"""SIGKILL at ten points of a real `kcfg train` process, then resume: history continuous, optimizer steps exact.

The killed process is real; a few lines run before kcfg wrap one function so that the
process kills itself (SIGKILL: no cleanup of any kind) at a precise moment: during
imports, while building, mid-epoch, between the writes of a resume point, while saving.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")

from kcfg.run import Training, TrainingRequest  # noqa: E402

from .conftest import REPO  # noqa: E402

pytestmark = pytest.mark.slow

EPOCHS, STEPS = 4, 4  # 64 samples, batch 16
RECIPE = f"""seed: 3
model:
  inputs: {{x: [4]}}
  layers:
    hidden: {{type: Dense, units: 8, activation: relu}}
    y: {{type: Dense, units: 1}}
compile: {{optimizer: adam, loss: mse}}
fit: {{batch_size: 16, epochs: {EPOCHS}, verbose: 0}}
data:
  train: {{source: synthetic, samples: 64, seed: 1}}
"""

#: point -> (module, class in it or "", function to wrap, condition on `calls`/`args`/`kwargs`, kill before the call (else after))
POINTS: dict[str, tuple[str, str, str, str, bool]] = {
    "importing Keras": ("kcfg.cli.keras_import", "", "import_keras_quietly", "True", True),
    "building the model": ("kcfg.builder.graph", "GraphBuilder", "build", "True", True),
    "after the run directory is made": ("kcfg.run.training", "", "start", "True", False),
    "mid-epoch": ("kcfg.run.recorder", "RunRecorder", "on_train_batch_end", f"calls == {STEPS + 2}", True),
    "weights written, history not": ("kcfg.run.run_dir", "RunDir", "write_history", "calls == 2", True),
    "history written, manifest not": ("kcfg.run.run_dir", "RunDir", "update_manifest", "kwargs.get('epochs_completed') == 2", True),
    "manifest written, old weights kept": ("kcfg.run.run_dir", "RunDir", "update_manifest", "kwargs.get('epochs_completed') == 2", False),
    "saving the model": ("os", "", "replace", "str(args[1]).endswith('model.keras')", True),
    "writing the metrics": ("kcfg.run.run_dir", "RunDir", "update_metrics", "True", True),
    "marking it completed": ("kcfg.run.run_dir", "RunDir", "update_manifest", "kwargs.get('status') == 'completed'", True),
}

HARNESS = """
import importlib, os, signal, sys
module_name, class_name, attribute, condition, before = sys.argv[1:5] + [sys.argv[5] == "1"]
owner = importlib.import_module(module_name)
owner = getattr(owner, class_name) if class_name else owner
original = getattr(owner, attribute)
calls = 0
def wrapped(*args, **kwargs):
    global calls
    calls += 1
    hit = eval(condition, {"calls": calls, "args": args, "kwargs": kwargs})
    if hit and before:
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(owner, attribute, wrapped)
from kcfg.cli.app import main
main(sys.argv[6:])
"""


def killed_run(recipe: Path, run: Path, point: str) -> None:
    module, owner, attribute, condition, before = POINTS[point]
    args = [sys.executable, "-c", HARNESS, module, owner, attribute, condition, "1" if before else "0", "train", str(recipe), "--run-dir", str(run)]
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == -signal.SIGKILL, f"{point}: the process was not killed there (exit {result.returncode}): {result.stderr[-2000:]}"


@pytest.mark.parametrize("point", list(POINTS))
def test_a_run_killed_anywhere_resumes_to_a_continuous_history(write, tmp_path: Path, point: str) -> None:
    recipe, run = write("r.yaml", RECIPE), tmp_path / "run"
    killed_run(recipe, run, point)
    resumable = (run / "manifest.json").is_file()
    Training.open(TrainingRequest(recipe, run_dir=run, resume=resumable)).run(notes=lambda notes: None)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == EPOCHS
    history = (run / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == [str(e) for e in range(EPOCHS)], history
    model = keras.saving.load_model(run / "model.keras")
    assert int(model.optimizer.iterations.numpy()) == EPOCHS * STEPS  # no epoch trained twice, none skipped
    weights = sorted(p.name for p in run.glob("*.weights.h5"))
    assert weights == [manifest["resume_weights"]] and not list(run.glob(".tmp-*")), weights
