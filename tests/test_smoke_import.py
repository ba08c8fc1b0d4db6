"""`kcfg smoke`, its pytest plugin, and `kcfg import` round trips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from .conftest import RECIPES, REPO, kcfg, user_environment

keras = pytest.importorskip("keras")

from kcfg.builder import build_model  # noqa: E402
from kcfg.builder.objects import ObjectFactory  # noqa: E402
from kcfg.builder.plugins import load_plugins  # noqa: E402
from kcfg.importer import import_recipe  # noqa: E402
from kcfg.recipe import dump_yaml, load_recipe  # noqa: E402
from kcfg.run import build_adapted  # noqa: E402

from .keras_structure import structure  # noqa: E402

BROKEN = "model:\n  inputs: {x: [8]}\n  layers:\n    r: {type: Reshape, target_shape: [3, 3]}\n"


@pytest.mark.slow
def test_smoke_passes_every_shipped_recipe_and_writes_junit(tmp_path: Path) -> None:
    """`kcfg smoke recipes/`, which `make test` runs only here: every shipped recipe, checked."""
    report = tmp_path / "smoke.xml"
    result = kcfg("smoke", "recipes/", "--junit", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()  # recipes on another backend report after the others
    assert sorted(line.split()[:2] for line in lines) == [["ok", f"recipes/{p.name}"] for p in RECIPES]
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == str(len(RECIPES)) and suite.get("failures") == "0"
    assert [case.get("name") for case in suite.iter("testcase")] == [f"recipes/{p.name}" for p in RECIPES]
    assert all(float(case.get("time")) > 0 for case in suite.iter("testcase"))
    from lxml import etree

    for xsd in sorted((Path(__file__).parent / "data" / "junit").glob("*.xsd")):  # what Surefire and Jenkins accept
        schema = etree.XMLSchema(etree.parse(str(xsd)))
        assert schema.validate(etree.parse(str(report))), f"{xsd.name}: {schema.error_log}"


def test_a_broken_recipe_fails_the_smoke_run_with_its_error(tmp_path: Path) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    shutil.copy(REPO / "recipes" / "mnist_mlp.yaml", folder)
    (folder / "broken.yaml").write_text(BROKEN)
    result = kcfg("smoke", str(folder), "--junit", str(tmp_path / "smoke.xml"), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [(Path(r["recipe"]).name, r["passed"]) for r in report["recipes"]] == [("broken.yaml", False), ("mnist_mlp.yaml", True)]
    assert report["recipes"][0]["problems"] == [f"{folder / 'broken.yaml'}:4:24: model.layers.r: The total size of the tensor must be unchanged. Received: input_shape=(8,), target_shape=(3, 3)"]
    failure = ET.parse(tmp_path / "smoke.xml").getroot().find("testcase/failure")
    assert failure is not None and "model.layers.r" in failure.get("message")


def test_pytest_plugin_collects_recipes_only_and_without_keras_warnings(tmp_path: Path) -> None:
    """A real pytest process: the plugin loads from the installed entry point, under a user's warning filters."""
    for name in ("mnist_mlp.yaml", "siamese.yaml"):
        shutil.copy(REPO / "recipes" / name, tmp_path)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    (tmp_path / "mkdocs.yml").write_text("site_name: not a recipe\nnav: []\n")
    (tmp_path / "workflow.yaml").write_text("name: ci\non: [push]\n")
    (tmp_path / "child.yaml").write_text("extends: mnist_mlp.yaml\nfit: {epochs: 1}\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not kcfg's own settings, which ignore the Keras warning
    # no -W: what a user's own pytest run shows (a user has no filterwarnings for Keras)
    command = [sys.executable, "-m", "pytest", "--kcfg-smoke", str(tmp_path), "-rA", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini")]
    result = subprocess.run(command, cwd=tmp_path, env=user_environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "1 failed, 3 passed" in result.stdout
    assert "mkdocs" not in result.stdout and "workflow" not in result.stdout
    assert "warning" not in result.stdout.lower()
    assert "broken.yaml:4:24: model.layers.r: The total size of the tensor must be unchanged" in result.stdout
    assert "Traceback" not in result.stdout


def imported_twin(recipe: Path, tmp_path: Path):
    """Build a shipped recipe, import its serialized model (as in a .keras file), build the import.

    A recipe that adapts is built adapted on its data and saved; its import (`adapt: train`
    and placeholder data) gets the original's data in place of the placeholder, as the
    comment kcfg writes asks, and is built adapted too.
    """
    loaded = load_recipe(recipe)
    plugins = load_plugins(loaded.recipe.plugins, loaded.file.parent, loaded.where)
    adapts = "adapt:" in recipe.read_text()
    model = build_adapted(loaded).model if adapts else build_model(loaded, plugins).model
    data = import_recipe(keras.saving.serialize_keras_object(model), ObjectFactory(plugins))
    if adapts:
        assert data["data"] == {"train": {"source": "synthetic"}}
        data["data"] = {split: {**spec, "path": str(recipe.parent / spec["path"])} for split, spec in yaml.safe_load(recipe.read_text())["data"].items()}
    if loaded.recipe.plugins:
        data = {"plugins": [str((loaded.file.parent / p).resolve()) for p in loaded.recipe.plugins], **data}
    (tmp_path / "imported.yaml").write_text(dump_yaml(data))
    imported = load_recipe(tmp_path / "imported.yaml")
    return model, (build_adapted(imported) if adapts else build_model(imported)).model


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_shipped_recipes_round_trip_through_import(recipe: Path, tmp_path: Path) -> None:
    original, rebuilt = imported_twin(recipe, tmp_path)
    assert structure(rebuilt) == structure(original)


def test_import_command_on_a_saved_model_writes_a_readable_recipe(tmp_path: Path) -> None:
    model = build_model(load_recipe(REPO / "recipes" / "siamese.yaml")).model
    model.save(tmp_path / "siamese.keras")
    result = kcfg("import", str(tmp_path / "siamese.keras"), "-o", str(tmp_path / "siamese.yaml"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "siamese.yaml").read_text()
    assert "left_tower_1: {share: left_tower, input: right}" in text
    assert "hidden: {type: Dense, units: 64, activation: relu}" in text
    assert "distance: {type: Lambda, function: keras.ops.abs}" in text
    assert "kernel_initializer" not in text and "float32" not in text
    assert structure(build_model(load_recipe(tmp_path / "siamese.yaml")).model) == structure(model)


def test_import_names_classes_it_cannot_write_and_takes_plugins(tmp_path: Path) -> None:
    """The model is saved by another process, so that this one has not registered its class."""
    plugin = tmp_path / "scaling.py"
    plugin.write_text("import keras\n\n@keras.saving.register_keras_serializable(package='t')\nclass Doubling(keras.layers.Layer):\n    def call(self, x):\n        return x * 2.0\n")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import keras, scaling\n"
        "x = keras.Input((3,), name='x')\n"
        "keras.Model(x, scaling.Doubling(name='double')(x)).save(sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.keras")], check=True, capture_output=True, timeout=120)
    refused = kcfg("import", str(tmp_path / "m.keras"))
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"{tmp_path / 'm.keras'}: not Keras classes and not from a plugin: double (Doubling) (give the module that defines them with --plugin)"
    accepted = kcfg("import", str(tmp_path / "m.keras"), "--plugin", str(plugin), "-o", str(tmp_path / "m.yaml"))
    assert accepted.returncode == 0, accepted.stderr
    assert "double: {type: Doubling}" in (tmp_path / "m.yaml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50", "DenseNet121", "EfficientNetB0", "InceptionV3"])
def test_keras_applications_round_trip(name: str, tmp_path: Path) -> None:
    original = getattr(keras.applications, name)(weights=None)
    data = import_recipe(keras.saving.serialize_keras_object(original), ObjectFactory({}))
    (tmp_path / "app.yaml").write_text(dump_yaml(data))
    rebuilt = build_model(load_recipe(tmp_path / "app.yaml")).model
    assert rebuilt.count_params() == original.count_params()
    assert len(rebuilt.layers) == len(original.layers)
    keras.utils.clear_session()
