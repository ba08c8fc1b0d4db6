"""`kcfg show --defaults`: every default written out, and the result is a recipe that means the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcfg.recipe import dump_yaml, load_recipe, with_defaults

from .conftest import RECIPES


def plan_of(file: Path) -> list[tuple[str, tuple[str, ...]]]:
    plan = load_recipe(file).plan
    return [(f"{path}.{name}", tuple(map(str, step.inputs))) for path, graph in [("model", plan.model), *plan.submodels.items()] for name, step in graph.steps.items()]


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_defaults_written_out_validate_and_plan_the_same(recipe: Path) -> None:
    loaded = load_recipe(recipe)
    shown = with_defaults(loaded)
    copy = recipe.with_name(f".defaults-{recipe.name}")  # beside the original: data and plugins by the same relative paths
    try:
        copy.write_text(dump_yaml(shown), encoding="utf-8")
        assert with_defaults(load_recipe(copy)) == shown  # nothing left to add
        assert plan_of(copy) == plan_of(recipe)
        reloaded = load_recipe(copy)
        assert reloaded.run_dir() == loaded.run_dir() and reloaded.name == loaded.name
        assert (reloaded.recipe.fit, reloaded.recipe.data, reloaded.recipe.callbacks) == (
            loaded.recipe.fit.model_copy(update={"batch_size": loaded.recipe.fit.batch_size or 32}), loaded.recipe.data, loaded.recipe.callbacks,
        )
    finally:
        copy.unlink(missing_ok=True)


def test_defaults_fill_what_the_recipe_left_out(write) -> None:
    file = write("r.yaml", "model:\n  inputs: {x: [4]}\n  layers:\n    hidden: {type: Dense, units: 8}\n    out: {type: Dense, units: 1}\n")
    shown = with_defaults(load_recipe(file))
    assert shown["name"] == "r" and shown["model"]["name"] == "r" and shown["model"]["outputs"] == ["out"]
    assert shown["model"]["inputs"]["x"] == {"shape": [4], "dtype": "float32", "sparse": False}
    assert [entry["input"] for entry in shown["model"]["layers"].values()] == ["x", "hidden"]
    assert shown["fit"]["epochs"] == 1 and shown["fit"]["batch_size"] == 32 and shown["compile"]["optimizer"] == "rmsprop"
    assert shown["runtime"]["run_dir"] == "runs/r/${timestamp}"
    assert "plugins" not in shown and "callbacks" not in shown  # empty defaults say nothing
