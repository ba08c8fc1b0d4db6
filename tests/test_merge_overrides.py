"""`extends` deep merge and `--set` / `--unset` overrides."""

from __future__ import annotations

import pytest

from kcfg.recipe import RecipeError, load_recipe
from kcfg.recipe.merge import deep_merge, parse_override_path

BASE = """\
model:
  inputs: {x: [4]}
  layers:
    hidden: {type: Dense, units: 8, activation: relu}
    out: {type: Dense, units: 1}
compile: {optimizer: adam, loss: mse, metrics: [mae]}
fit: {epochs: 5, batch_size: 16}
"""


def test_deep_merge_rules() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": 2}
    over = {"a": {"c": [3]}, "d": None, "f": 4}
    assert deep_merge(base, over) == {"a": {"b": 1, "c": [3]}, "e": 2, "f": 4}


def test_extends_merges_and_points_at_the_right_file(write) -> None:
    write("base/common.yaml", BASE)
    child = write("exp.yaml", "extends: base/common.yaml\nfit: {epochs: two}\ncompile: {metrics: null}\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(child)
    (problem,) = caught.value.problems
    assert str(problem).endswith("exp.yaml:2:7: fit.epochs: expected an integer, got 'two'")


def test_extends_values(write) -> None:
    write("common.yaml", BASE)
    write("middle.yaml", "extends: common.yaml\nfit: {epochs: 3}\n")
    child = write("exp.yaml", "extends: [middle.yaml]\nmodel: {layers: {hidden: {units: 32}}}\ncompile: {metrics: null}\n")
    loaded = load_recipe(child)
    assert loaded.recipe.fit.epochs == 3
    assert loaded.recipe.fit.batch_size == 16
    assert loaded.recipe.model.layers["hidden"].arguments == {"units": 32, "activation": "relu"}
    assert loaded.recipe.compile is not None and loaded.recipe.compile.metrics is None
    assert "extends" not in loaded.data
    assert loaded.name == "exp"


def test_errors_in_a_base_point_into_the_base(write) -> None:
    write("common.yaml", BASE.replace("units: 8", "unitz: 8"))
    child = write("exp.yaml", "extends: common.yaml\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(child)
    assert "common.yaml:4:27: model.layers.hidden: Dense has no argument 'unitz' (did you mean 'units'?)" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "path"),
    [("fit.epochs", ("fit", "epochs")), ("callbacks[0].patience", ("callbacks", 0, "patience")), ("callbacks.0.patience", ("callbacks", 0, "patience")), ("fit.class_weight.1", ("fit", "class_weight", 1))],
)
def test_override_paths(text: str, path: tuple) -> None:
    assert parse_override_path(text) == path


def test_set_and_unset(write) -> None:
    recipe = write("r.yaml", BASE)
    loaded = load_recipe(recipe, sets=["fit.epochs=3", "model.layers.hidden.units=128", "compile.optimizer={type: SGD, nesterov: true}", "fit.class_weight={0: 1.0}"], unsets=["compile.metrics"])
    assert loaded.recipe.fit.epochs == 3
    assert loaded.recipe.model.layers["hidden"].arguments["units"] == 128
    assert loaded.data["compile"]["optimizer"] == {"type": "SGD", "nesterov": True}
    assert "metrics" not in loaded.data["compile"]
    assert loaded.overrides == ["fit.epochs=3", "model.layers.hidden.units=128", "compile.optimizer={type: SGD, nesterov: true}", "fit.class_weight={0: 1.0}", "~compile.metrics"]


def test_set_value_errors_name_the_override(write) -> None:
    recipe = write("r.yaml", BASE)
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe, sets=["fit.epochs=three"])
    assert [str(p) for p in caught.value.problems] == ["--set fit.epochs=three: fit.epochs: expected an integer, got 'three'"]


def test_all_override_problems_together(write) -> None:
    recipe = write("r.yaml", BASE)
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe, sets=["fit.epochs.x=1"], unsets=["fit.nothing"])
    assert [str(p) for p in caught.value.problems] == [
        "--set fit.epochs.x=1: fit.epochs is 5, not a mapping",
        "--unset fit.nothing: the recipe has no 'fit.nothing' to unset",
    ]


@pytest.mark.parametrize("bad", ["fit.epochs", "=3", "fit..epochs=3", "fit.epochs.x=3"])
def test_malformed_set(write, bad: str) -> None:
    recipe = write("r.yaml", BASE)
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe, sets=[bad])
    assert str(caught.value).startswith(f"--set {bad}: ")
