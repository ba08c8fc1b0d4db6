"""Mutated recipes: the recipe stage raises nothing but RecipeError, whatever the input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcfg.recipe import RecipeError, load_recipe
from kcfg.recipe.yaml_io import dump_yaml, parse_yaml

from .conftest import RECIPES

BASES = [parse_yaml(p.read_text(), str(p))[0] for p in RECIPES]
KEYS = ["type", "input", "share", "call", "units", "layers", "inputs", "outputs", "loss", "x", "source", "model", "fit", "shape", "epochs", "Dense", "member", "m1", "conv1", "predictions"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=True), st.text(max_size=12), st.sampled_from(KEYS))
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), children, max_size=4)), max_leaves=12)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, prefix + (i,))
    return found


@st.composite
def mutated_recipes(draw: st.DrawFn) -> Any:
    recipe = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(recipe)))
        action = draw(st.sampled_from(["replace", "delete", "add_key", "rename"]))
        if not path:
            recipe = draw(values) if action == "replace" else recipe
            continue
        parent = recipe
        for part in path[:-1]:
            parent = parent[part]
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add_key" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(KEYS))] = draw(values)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(path[-1])
    return recipe


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(recipe=mutated_recipes(), sets=st.lists(st.tuples(st.sampled_from(KEYS + ["fit.epochs", "model.layers.x"]), scalars), max_size=2))
def test_mutations_raise_only_recipe_errors(tmp_path: Path, recipe: Any, sets: list) -> None:
    path = tmp_path / "mutant.yaml"
    path.write_text(dump_yaml(recipe))
    try:
        load_recipe(path, sets=[f"{k}={dump_yaml(v).strip() if v is not None else 'null'}" for k, v in sets])
    except RecipeError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}!&*|>'\"#% \n\t0123456789.,?<@`~")), max_size=80))
def test_arbitrary_text_raises_only_recipe_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "noise.yaml"
    path.write_text(text)
    try:
        load_recipe(path)
    except RecipeError as exc:
        assert exc.problems


INTERPOLATIONS = ["${fit.epochs}", "${model.layers}", "${env:HOME}", "${env:KCFG_UNSET_VAR,3}", "${name}", "${run_dir}/x", "$${literal}", "${a.b.c}", "${", "}", "${fit.epochs}${fit.epochs}"]
PLUGINS = ["", "os", "../x.py", "plugins/antirectifier.py", "no_such_module", "a..b", "x.py", "/etc/passwd.py"]
long_scalars = st.one_of(scalars, st.sampled_from(INTERPOLATIONS), st.text(alphabet=st.sampled_from(list("${}.:,ab0 \n\x1b")), max_size=16))
long_values = st.recursive(long_scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 3)), children, max_size=4)), max_leaves=12)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    recipe=mutated_recipes(),
    extra=st.dictionaries(st.sampled_from(["description", "name", "seed", "plugins", "extends", "fit", "runtime", "data"]), long_values, max_size=2),
    plugins=st.lists(st.sampled_from(PLUGINS), max_size=2),
    base=st.one_of(st.none(), mutated_recipes()),
    sets=st.lists(st.tuples(st.sampled_from(KEYS + ["fit.epochs", "plugins", "extends", "model.layers.x", "callbacks[0]", "a..b", ""]), long_scalars), max_size=3),
    safe=st.booleans(),
)
def test_ten_thousand_mutations_raise_only_recipe_errors(tmp_path: Path, recipe: Any, extra: dict, plugins: list, base: Any, sets: list, safe: bool) -> None:
    """Values, --set, interpolation, extends and plugins mutated together: nothing but kcfg's own error."""
    if isinstance(recipe, dict):
        recipe = {**recipe, **extra}
        if plugins:
            recipe["plugins"] = plugins
        if base is not None:
            (tmp_path / "base.yaml").write_text(dump_yaml(base))
            recipe["extends"] = "base.yaml"
    path = tmp_path / "mutant.yaml"
    path.write_text(dump_yaml(recipe))
    try:
        load_recipe(path, sets=[f"{k}={v}" for k, v in sets], safe=safe)
    except RecipeError as exc:
        assert exc.problems and all("\n" not in str(p) for p in exc.problems)
