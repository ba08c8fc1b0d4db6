"""Generated files must match the code, and shipped recipes must follow the conventions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from kcfg.recipe import json_schema
from kcfg.recipe.yaml_io import parse_yaml

from .conftest import RECIPES, REPO, kcfg

SCHEMA_FILE = REPO / "schemas" / "recipe.schema.json"


def test_schema_file_is_current() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), "schemas/ is stale: run `make schema`"


def test_schema_command_prints_the_file() -> None:
    result = kcfg("schema")
    assert json.loads(result.stdout) == json.loads(SCHEMA_FILE.read_text())


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_shipped_recipe_conventions(recipe: Path) -> None:
    lines = recipe.read_text().splitlines()
    data, _ = parse_yaml(recipe.read_text(), str(recipe))
    command = "tune" if "tune" in data else "train"  # a recipe that ships a search runs it
    assert lines[0] == f"# Run: kcfg {command} recipes/{recipe.name}"
    assert lines[1] == "# yaml-language-server: $schema=../schemas/recipe.schema.json"
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))


def test_json_schema_rejects_what_validate_rejects() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"model": {"inputs": {"x": [4]}, "layers": {"o": {"type": "Dense"}}}, "fit": {"epoch": 1}}, schema)


def test_seed_models_are_shipped() -> None:
    assert {"mnist_mlp", "small_resnet", "ensemble", "multi_io"} <= {p.stem for p in RECIPES}


@pytest.mark.slow
@pytest.mark.tf
def test_catalog_matches_installed_keras() -> None:
    """Regenerating the catalog from the installed Keras must give the shipped file (`make catalog`)."""
    from tools.make_catalog import CATALOG_FILE, generate, render

    assert CATALOG_FILE.read_text() == render(generate()), "keras_catalog.json is stale: run `make catalog`"
