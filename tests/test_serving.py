"""A trained run leaves kcfg: plain Keras loads its model, and each export format predicts what the model does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import RECIPES, REPO, kcfg

keras = pytest.importorskip("keras")

from kcfg.recipe import load_recipe  # noqa: E402
from kcfg.run import ExportMismatch, RunDir, TrainedRun, Training, TrainingRequest, export_model  # noqa: E402
from kcfg.run.export import EXPORTERS, as_list, compare, keras_inputs, sample_inputs  # noqa: E402

#: Every shipped recipe, trained one short epoch on synthetic data (its own data may need a download).
QUICK = ["data={train: {source: synthetic, samples: 16, seed: 0}}", "fit.epochs=1", "fit.batch_size=8"]
#: What README.md documents for loading a run's model without kcfg's commands.
DOCUMENTED_IMPORT = "import kcfg.builder.keras_names"
PLAIN_KERAS = """
import importlib, json, pathlib, sys
import numpy as np
import keras
import tensorflow as tf
sys.path.insert(0, sys.argv[2])
for plugin in sorted(pathlib.Path(sys.argv[2]).glob("*.py")):  # the shipped recipes' plugins: plugins first
    importlib.import_module(plugin.stem)
import kcfg.builder.keras_names  # noqa: F401
assert "kcfg.run" not in sys.modules  # no kcfg training or loading code: Keras finds the registered names
report = {}
for name, run in json.loads(sys.argv[1]).items():
    model = keras.saving.load_model(run + "/model.keras")
    probe = np.load(run + "/probe.npz")
    inputs = {key: probe[key] for key in probe.files if not key.startswith("expected")}
    inputs = {key: tf.constant(value) if value.dtype.kind in "US" else value for key, value in inputs.items()}  # Keras takes text as tensors
    predicted = model.predict(inputs, verbose=0)
    predicted = predicted if isinstance(predicted, list) else [predicted]
    report[name] = max(float(np.max(np.abs(np.asarray(p) - probe[f"expected{i}"]))) for i, p in enumerate(predicted))
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def shipped_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run directories of every shipped recipe, each with `probe.npz`: sample inputs and kcfg's predictions for them."""
    root = tmp_path_factory.mktemp("runs")
    runs = {}
    for recipe in RECIPES:
        # a recipe for another backend trains here on TensorFlow: the saved .keras is backend-neutral
        elsewhere = ["runtime.backend=tensorflow", "runtime.distribute=none"] if load_recipe(recipe).recipe.runtime.backend != "tensorflow" else []
        run, _ = Training.open(TrainingRequest(recipe, sets=[*QUICK, *elsewhere], run_dir=root / recipe.stem)).run(notes=lambda notes: None)
        model = TrainedRun.open(RunDir(run.path), recipe).model  # the recipe may list plugins; a run folder alone imports none
        inputs = sample_inputs(model)
        expected = {f"expected{i}": p for i, p in enumerate(as_list(model.predict(keras_inputs(model, inputs), verbose=0)))}
        np.savez(run.path / "probe.npz", **inputs, **expected)
        runs[recipe.stem] = run.path
        keras.utils.clear_session()
    return runs


@pytest.mark.slow
def test_plain_keras_loads_every_shipped_runs_model_with_the_documented_import(shipped_runs: dict[str, Path]) -> None:
    """A fresh process: only the documented import may make kcfg's names known to Keras."""
    assert DOCUMENTED_IMPORT in (REPO / "README.md").read_text(encoding="utf-8")
    paths = {name: str(path) for name, path in shipped_runs.items()}
    result = subprocess.run([sys.executable, "-c", PLAIN_KERAS, json.dumps(paths), str(REPO / "recipes" / "plugins")], capture_output=True, text=True, timeout=600, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    differences = json.loads(result.stdout.splitlines()[-1])
    assert set(differences) == {p.stem for p in RECIPES}
    assert all(difference < 1e-5 for difference in differences.values()), differences


@pytest.mark.slow
@pytest.mark.parametrize(("recipe", "format"), [("multi_io", "saved_model"), ("siamese", "onnx"), ("multi_io", "onnx"), ("digits_cnn", "litert"), ("text_classifier", "litert")])
def test_each_format_round_trips_a_shipped_run(shipped_runs: dict[str, Path], tmp_path: Path, recipe: str, format: str) -> None:
    model = TrainedRun.open(RunDir(shipped_runs[recipe])).model
    output = tmp_path / {"saved_model": "saved", "onnx": "model.onnx", "litert": "model.tflite"}[format]
    exported = export_model(model, format, output)
    assert exported.path == output and output.exists() and exported.largest_difference < 1e-4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]
    assert bool(exported.notes) == (recipe == "text_classifier")  # recurrent layers: LiteRT's builtins at batch size 1
    # the test's own check, in the artifact's runtime, on inputs kcfg did not choose
    probe = {name: value[:2] for name, value in np.load(shipped_runs[recipe] / "probe.npz").items() if not name.startswith("expected")}
    assert compare(as_list(model.predict(keras_inputs(model, probe), verbose=0)), run_artifact(format, output, probe), format) < 1e-4
    with pytest.raises(FileExistsError):
        export_model(model, format, output)


def run_artifact(format: str, path: Path, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    if format == "saved_model":
        import tensorflow as tf

        outputs = tf.saved_model.load(str(path)).signatures["serving_default"](**inputs)
        return [outputs[f"output_{i}"].numpy() for i in range(len(outputs))]
    if format == "onnx":
        import onnxruntime

        return list(onnxruntime.InferenceSession(str(path)).run(None, inputs))
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner()
    rows = [runner(**{name: value[i : i + 1] for name, value in inputs.items()}) for i in range(len(next(iter(inputs.values()))))]
    return [np.concatenate([row[f"output_{i}"] for row in rows]) for i in range(len(rows[0]))]


@pytest.mark.slow
def test_an_artifact_of_another_model_is_a_mismatch(shipped_runs: dict[str, Path], tmp_path: Path) -> None:
    trained = TrainedRun.open(RunDir(shipped_runs["siamese"])).model
    fresh = keras.models.clone_model(trained)  # same graph, new random weights
    inputs = sample_inputs(trained)
    trained.predict(keras_inputs(trained, inputs), verbose=0)
    _, run = EXPORTERS["onnx"](trained, tmp_path / "model.onnx")
    with pytest.raises(ExportMismatch, match="predicts differently"):
        compare(as_list(fresh.predict(keras_inputs(fresh, inputs), verbose=0)), run(inputs), "onnx")


@pytest.mark.slow
def test_export_command_writes_into_the_run_and_refuses_bad_names(shipped_runs: dict[str, Path]) -> None:
    run = shipped_runs["mnist_mlp"]
    result = kcfg("export", str(run), "--format", "onnx")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {run / 'export' / 'model.onnx'} (onnx; predictions match the model within")
    assert result.stderr == ""
    again = kcfg("export", str(run), "--format", "litert", "-o", str(run / "model.onnx"))
    assert again.returncode == 2 and "ends in .tflite" in again.stderr
