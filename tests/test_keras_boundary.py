"""The one error boundary: whatever Keras rejects while building, compiling or stepping lands on the recipe line it came from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.run import RunDirError, Training, TrainingRequest  # noqa: E402

MODEL = """model:
  inputs: {x: [4]}
  layers:
    hidden: {type: Dense, units: 3}
    out: {type: Dense, units: 2, activation: softmax}
data:
  train: {source: synthetic, samples: 8}
fit: {batch_size: 4, epochs: 1, verbose: 0}
"""


def problem_of(file: Path, run: Path) -> tuple[str, RecipeError]:
    """Train `file` in this process; the single problem it must fail with, as printed."""
    with pytest.raises(RecipeError) as caught:
        Training.open(TrainingRequest(file, run_dir=run)).run(notes=lambda notes: None)
    (problem,) = caught.value.problems
    return str(problem).removeprefix(f"{file}:"), caught.value


def test_an_optimizer_argument_keras_rejects_is_on_its_line(write, tmp_path: Path) -> None:
    file = write("r.yaml", MODEL + "compile:\n  optimizer: {type: SGD,\n    momentum: 2.0}\n  loss: sparse_categorical_crossentropy\n")
    line, _ = problem_of(file, tmp_path / "run")
    assert line.startswith("11:5: compile.optimizer: `momentum` must be a float between [0, 1]"), line
    assert not (tmp_path / "run").exists()  # nothing was trained, no run directory left behind


def test_a_callback_argument_keras_rejects_is_on_its_line(write, tmp_path: Path) -> None:
    file = write("r.yaml", MODEL + "compile: {loss: sparse_categorical_crossentropy}\ncallbacks:\n  - {type: ReduceLROnPlateau, monitor: loss,\n     factor: 1.5}\n")
    line, _ = problem_of(file, tmp_path / "run")
    assert line.startswith("12:6: callbacks[0]: ReduceLROnPlateau does not support a factor >= 1.0"), line
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "factor" in manifest["failure"]


def test_a_metric_that_does_not_fit_the_output_is_a_compile_metrics_error(write, tmp_path: Path) -> None:
    metric = "{type: AUC, multi_label: true, num_labels: 5}"
    file = write("r.yaml", MODEL + f"compile:\n  loss: categorical_crossentropy\n  metrics: [{metric}]\n")
    line, _ = problem_of(file, tmp_path / "run")
    assert line.startswith("11:3: compile.metrics: Keras rejected the first training step:"), line


def test_data_keras_cannot_feed_is_a_data_error(write, tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.array([["a"] * 4] * 8), y=np.zeros(8, "int32"))
    text = MODEL.replace("{source: synthetic, samples: 8}", "{source: npz, path: d.npz}") + "compile: {loss: sparse_categorical_crossentropy}\n"
    line, _ = problem_of(write("r.yaml", text), tmp_path / "run")
    assert line.startswith("7:3: data.train: the data for input 'x' is text ('a'), but the input takes float32: give it `dtype: string`"), line


def test_a_plugin_class_named_like_a_keras_class_is_not_shadowed(write, tmp_path: Path) -> None:
    write("my_layers.py", "import keras\n\nclass Dense(keras.layers.Layer):\n    def __init__(self, scale, **kwargs):\n        super().__init__(**kwargs)\n        self.scale = scale\n\n    def call(self, x):\n        return x * self.scale\n")
    file = write("r.yaml", "plugins: [my_layers]\nmodel:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, scale: 2.0}\n")
    loaded = load_recipe(file)  # validate reads the plugin's constructor, not keras.layers.Dense's
    from kcfg.builder import build_model

    model = build_model(loaded).model
    assert type(model.get_layer("out")).__module__ == "my_layers" and model.count_params() == 0
    with pytest.raises(RecipeError, match="Dense needs argument 'scale'"):
        load_recipe(write("s.yaml", file.read_text().replace("scale: 2.0", "units: 3")))


def test_resume_finds_only_runs_of_its_own_literal_name(write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "runs" / "a" / "20260101-000000"
    other.mkdir(parents=True)
    (other / "manifest.json").write_text('{"timestamp": "20260101-000000", "status": "interrupted"}')
    file = write("star.yaml", 'name: "*"\n' + MODEL + "compile: {loss: sparse_categorical_crossentropy}\n")
    with pytest.raises(RunDirError, match=r"no run to continue matches runs/\*/"):
        Training.open(TrainingRequest(file, resume=True))


def test_a_lambda_nested_in_another_layer_builds_by_name(write) -> None:
    from kcfg.builder import build_model

    text = "model:\n  inputs: {x: [3, 4]}\n  layers:\n    each: {type: TimeDistributed, layer: {type: Lambda, function: keras.ops.abs}}\n"
    model = build_model(load_recipe(write("r.yaml", text))).model
    assert float(model(np.array([[[-1.0] * 4] * 3])).numpy().min()) == 1.0
