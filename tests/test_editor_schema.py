"""The JSON Schema as its real readers see it: ajv in strict mode, and yaml-language-server as editors run it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kcfg.recipe.yaml_io import parse_yaml

from .conftest import RECIPES, REPO
from .lsp_client import NODE_TOOLS, SERVER, LanguageServer

SCHEMA_FILE = REPO / "schemas" / "recipe.schema.json"
NOT_SET_UP = "the npm packages the editor tests drive are missing: run `make setup` (needs node and npm)"
MISSPELT = """\
# yaml-language-server: $schema=recipe.schema.json
model:
  inputs: {img: [28, 28, 1]}
  layers:
    conv1:
      type: Conv2D
      filter: 32
      kernel_size: 3
    out:
      type: Dense
      units: 10
"""


CHILD = """\
# yaml-language-server: $schema=recipe.schema.json
extends: base.yaml
model:
  layers:
    conv1: {type: Conv2D, filter: 32, kernel_size: 3}
    out:
      type: Dense
      activation: \n\
callbacks:
  - {type: mlflow.keras.MlflowCallback, log_every_epochs: true}
"""


def ajv(schema: Path, documents: dict[str, object], folder: Path) -> dict[str, object]:
    """Compile `schema` with ajv (strict mode, draft 2020-12) and validate each document; ajv's report."""
    assert (NODE_TOOLS / "node_modules" / "ajv").is_dir(), NOT_SET_UP
    files = []
    for name, document in documents.items():
        files.append(folder / f"{name}.json")
        files[-1].write_text(json.dumps(document))
    result = subprocess.run(["node", str(NODE_TOOLS / "check_schema.js"), str(schema), *map(str, files)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_the_schema_compiles_in_ajv_strict_mode_and_checks_recipes(tmp_path: Path) -> None:
    documents: dict[str, object] = {p.stem: parse_yaml(p.read_text(), str(p))[0] for p in RECIPES}
    documents["child_of_mnist_mlp"] = {"extends": "mnist_mlp.yaml", "model": {"layers": {"hidden": {"units": 256}}}, "fit": {"epochs": 3}}
    documents["conv_filter_misspelt"] = {"model": {"inputs": {"x": [28, 28, 1]}, "layers": {"conv": {"type": "Conv2D", "filter": 3, "kernel_size": 3}}}}
    documents["callback_argument_misspelt"] = {"model": {"inputs": {"x": [2]}, "layers": {"d": {"type": "Dense", "units": 1}}}, "callbacks": [{"type": "EarlyStopping", "patienc": 3}]}
    documents["no_layers_without_extends"] = {"model": {"inputs": {"x": [2]}}}
    documents["plugin_class_any_arguments"] = {"model": {"inputs": {"x": [2]}, "layers": {"a": {"type": "Antirectifier", "anything": 1}}}}
    report = ajv(SCHEMA_FILE, documents, tmp_path)
    assert report["compiled"], report["error"]
    verdicts = {Path(str(d["file"])).stem: d["valid"] for d in report["documents"]}  # type: ignore[union-attr]
    invalid = {"conv_filter_misspelt", "callback_argument_misspelt", "no_layers_without_extends"}
    assert verdicts == {name: name not in invalid for name in documents}


@pytest.mark.slow
def test_yaml_language_server_flags_the_misspelt_argument_and_completes_layer_arguments(tmp_path: Path) -> None:
    assert SERVER.is_file() and shutil.which("node"), NOT_SET_UP
    shutil.copy(SCHEMA_FILE, tmp_path)
    recipe = tmp_path / "broken.yaml"
    recipe.write_text(MISSPELT + " " * 6 + "\n")  # the cursor on a new line inside `out:`
    server = LanguageServer(tmp_path)
    try:
        diagnostics = server.open(recipe)
        assert [(d["range"]["start"]["line"] + 1, d["message"]) for d in diagnostics] == [(7, "Property filter is not allowed.")]
        dense_keys = server.completion(recipe, 11, 6)  # a new key under `out: {type: Dense, ...}`
        assert {"activation", "use_bias", "kernel_initializer", "input", "share"} <= set(dense_keys) and "filters" not in dense_keys
        types = server.completion(recipe, 9, 12)  # the value of `type:`
        assert {"Conv2D", "Dense", "LSTM", "MultiHeadAttention"} <= set(types)
        child = tmp_path / "child.yaml"  # extends a base: part of `model` is enough; flow style as the shipped recipes write it
        child.write_text(CHILD)
        assert [(d["range"]["start"]["line"] + 1, d["message"]) for d in server.open(child)] == [(5, "Property filter is not allowed."), (10, "Property log_every_epochs is not allowed.")]
        assert {"relu", "softmax", "gelu"} <= set(server.completion(child, 7, 18))  # the value of `activation:`
    finally:
        server.close()
