"""The recipe stage end to end: read, extend, override, interpolate, validate, check. No TensorFlow."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kcfg.recipe.errors import Location, Path as KeyPath, Problem, RecipeError
from kcfg.recipe.graph_checks import GraphChecker
from kcfg.recipe.interpolate import interpolate
from kcfg.recipe.merge import apply_overrides, load_with_bases
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.plugin_scan import PluginNames, scan_plugins
from kcfg.recipe.report import Report
from kcfg.recipe.schema import Graph, InputSpec, Recipe
from kcfg.recipe.section_checks import SectionChecker
from kcfg.recipe.validation import validate_model


@dataclass(frozen=True)
class LoadedRecipe:
    """A valid recipe with everything later stages need to point back into the file."""

    file: Path
    name: str
    data: dict[str, Any]  # resolved: what `kcfg show` prints
    recipe: Recipe
    positions: dict[KeyPath, Location]
    warnings: list[Problem] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    def where(self, path: KeyPath) -> Location:
        return Report(self.positions, str(self.file)).where(path)

    def run_dir(self, timestamp: str) -> Path:
        """`runtime.run_dir` for a run started at `timestamp` (the default one has `${...}` left)."""
        resolved = interpolate({"run_dir": self.recipe.runtime.run_dir}, {}, {"name": self.name, "timestamp": timestamp})
        return Path(resolved["run_dir"])


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic GC while a recipe is read.

    Reading builds many small objects that all stay alive; the collector's repeated
    passes over them made a 20,000-layer recipe cost twice as much per layer as a
    2,000-layer one (bench/build_speed.py). Nothing here creates garbage cycles worth
    collecting early.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_recipe(
    file: str | Path,
    *,
    sets: Sequence[str] = (),
    unsets: Sequence[str] = (),
    run_variables: dict[str, str] | None = None,
    safe: bool = False,
) -> LoadedRecipe:
    """Load and check one recipe.

    Args:
        file: the recipe's path.
        sets: `path=value` overrides, the value parsed as YAML.
        unsets: paths to remove.
        run_variables: `run_dir` and `timestamp` once a run has them; left as `${...}` otherwise.
        safe: refuse recipes that import code (plugins, python data sources).

    Returns:
        The resolved, validated recipe and its warnings.

    Raises:
        RecipeError: every problem found, errors and warnings together.
    """
    with paused_gc():
        return _load(Path(file), sets, unsets, run_variables, safe)


def _load(file: Path, sets: Sequence[str], unsets: Sequence[str], run_variables: dict[str, str] | None, safe: bool) -> LoadedRecipe:
    """`load_recipe`'s steps, in order."""
    data, positions = load_with_bases(file)
    if sets or unsets:
        data = apply_overrides(data, positions, list(sets), list(unsets))
    name = data["name"] if isinstance(data.get("name"), str) else file.stem
    data = interpolate(data, positions, {"name": name, **(run_variables or {})})
    report = Report(positions, str(file))
    recipe = validate_model(data, report)
    if safe:
        refuse_code(data, report)
    plugins = PluginNames() if safe else scan_recipe_plugins(data, file.parent, report)
    objects = ObjectChecker(report, plugins)
    if recipe is not None:
        GraphChecker(objects, recipe.submodels).check_all(recipe.model)
        SectionChecker(objects, recipe).check_all()
    else:
        check_graphs_alone(data, objects)
    if report.has_errors or recipe is None:
        raise RecipeError(report.sorted())
    return LoadedRecipe(file, name, data, recipe, positions, report.sorted(), [*sets, *(f"~{u}" for u in unsets)])


def scan_recipe_plugins(data: dict[str, Any], recipe_dir: Path, report: Report) -> PluginNames:
    plugins = data.get("plugins") or []
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        return PluginNames(unreadable=["?"])  # reported by validation; do not cascade
    names = scan_plugins(plugins, recipe_dir)
    for spec in names.missing:
        report.error(("plugins", plugins.index(spec)), f"plugin {spec!r} not found (looked beside the recipe and on the Python path)")
    return names


def refuse_code(data: dict[str, Any], report: Report) -> None:
    """--safe: a recipe from untrusted hands may not import code. Fails closed."""
    if data.get("plugins"):
        report.error(("plugins",), "refused in --safe mode (KCFG_SAFE=1): plugins import Python code")
    sections = data.get("data") if isinstance(data.get("data"), dict) else {}
    for split, source in sections.items():
        if isinstance(source, dict) and source.get("source") == "python":
            report.error(("data", split, "source"), "refused in --safe mode (KCFG_SAFE=1): python data sources run code")


def check_graphs_alone(data: dict[str, Any], objects: ObjectChecker) -> None:
    """Graph checks for a recipe that failed validation elsewhere, so all problems show at once.

    Inputs with schema errors (already reported) count by name only; graphs with other
    schema errors are not checked further.
    """

    def graph(value: Any) -> Graph:
        if isinstance(value, dict) and isinstance(value.get("inputs"), dict):
            inputs = {name: spec if _valid_input(spec) else [] for name, spec in value["inputs"].items()}
            value = {**value, "inputs": inputs}
        return Graph.model_validate(value)

    try:
        submodels = data.get("submodels") or {}
        checker = GraphChecker(objects, {name: graph(g) for name, g in submodels.items()})
        model = graph(data.get("model"))
    except (ValidationError, AttributeError):
        return
    checker.check_all(model)


def _valid_input(spec: Any) -> bool:
    try:
        InputSpec.model_validate(spec if not isinstance(spec, list) else {"shape": spec})
    except ValidationError:
        return False
    return True
