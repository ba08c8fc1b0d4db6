"""The recipe stage end to end: read, extend, override, interpolate, validate, check. No TensorFlow."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kcfg.recipe.backend_checks import BackendChecker
from kcfg.recipe.errors import KeyPath, Location, Problem, RecipeError
from kcfg.recipe.graph_checks import GraphChecker
from kcfg.recipe.interpolate import interpolate
from kcfg.recipe.merge import apply_overrides, load_with_bases, without_patches
from kcfg.recipe.object_checks import ObjectChecker
from kcfg.recipe.plan import RecipePlan, plan_graph, plan_recipe
from kcfg.recipe.plugin_scan import PluginNames, scan_plugins
from kcfg.recipe.report import Report
from kcfg.recipe.safety import SafetyChecker
from kcfg.recipe.schema import PLUGIN_PATTERN, Block, Graph, InputSpec, Recipe
from kcfg.recipe.section_checks import SectionChecker
from kcfg.recipe.tune_checks import TuneChecker
from kcfg.recipe.validation import validate_model


@dataclass(frozen=True)
class LoadedRecipe:
    """A valid recipe with everything later stages need to point back into the file."""

    file: Path
    name: str
    data: dict[str, Any]  # resolved: what `kcfg show` prints
    recipe: Recipe
    plan: RecipePlan
    positions: dict[KeyPath, Location]
    merged: dict[str, Any]  # extends and overrides applied, before interpolation
    safe: bool
    warnings: list[Problem] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    def where(self, path: KeyPath) -> Location:
        return Report(self.positions, str(self.file)).where(path)

    def run_dir(self, timestamp: str | None = None) -> str:
        """`runtime.run_dir` for a run started at `timestamp`; without one, `${timestamp}` is left in."""
        variables = {"name": self.name} if timestamp is None else {"name": self.name, "timestamp": timestamp}
        return str(interpolate({"run_dir": self.recipe.runtime.run_dir}, {}, variables)["run_dir"])

    def with_run(self, run_dir: Path | str, timestamp: str) -> LoadedRecipe:
        """The recipe with `${run_dir}` and `${timestamp}` filled in, once a run has them.

        Files are not read and checks not repeated: only interpolation runs again, over
        the merged recipe, so escapes (`$${...}`) and references resolve exactly as before.
        """
        variables = {"name": self.name, "run_dir": str(run_dir), "timestamp": timestamp}
        data = interpolate(self.merged, self.positions, variables)
        recipe = Recipe.model_validate(data)
        return replace(self, data=data, recipe=recipe, plan=plan_recipe(recipe))


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
    safe: bool = False,
) -> LoadedRecipe:
    """Load and check one recipe.

    Args:
        file: the recipe's path.
        sets: `path=value` overrides, the value parsed as YAML.
        unsets: paths to remove.
        safe: refuse recipes that import code (plugins, python data sources).

    Returns:
        The resolved, validated recipe and its warnings; `${run_dir}` and `${timestamp}`
        stay as written until `LoadedRecipe.with_run` gives them.

    Raises:
        RecipeError: every problem found, errors and warnings together.
    """
    with paused_gc():
        return _load(Path(file), sets, unsets, safe)


def _load(file: Path, sets: Sequence[str], unsets: Sequence[str], safe: bool) -> LoadedRecipe:
    """`load_recipe`'s steps, in order."""
    data, positions = load_with_bases(file, confine=file.parent if safe else None)
    data = without_patches(data, positions)
    if sets or unsets:
        data = apply_overrides(data, positions, list(sets), list(unsets))
    name = data["name"] if isinstance(data.get("name"), str) else file.stem
    merged = data
    data = interpolate(merged, positions, {"name": name})
    report = Report(positions, str(file))
    recipe = validate_model(data, report)
    if safe and recipe is not None:  # on validated data only: an invalid recipe runs nothing anyway
        SafetyChecker(data, file.parent, report).check_all()
    plugins = PluginNames() if safe else scan_recipe_plugins(data, file.parent, report)
    objects = ObjectChecker(report, plugins)
    if recipe is None:
        check_graphs_alone(data, objects)
        raise RecipeError(report.sorted())
    plan = plan_recipe(recipe, report)
    place_expanded_steps(plan, positions)
    GraphChecker(objects, plan).check_all()
    sections = SectionChecker(objects, recipe)
    sections.check_all()
    TuneChecker(sections, data).check_all()
    BackendChecker(report, recipe, plan).check_all()
    if report.has_errors:
        raise RecipeError(report.sorted())
    return LoadedRecipe(file, name, data, recipe, plan, positions, merged, safe, report.sorted(), [*sets, *(f"~{u}" for u in unsets)])


def place_expanded_steps(plan: RecipePlan, positions: dict[KeyPath, Location]) -> None:
    """Give each expanded step's path (`model.layers.d64_conv`) the place it was copied from.

    Everything under it is where the block wrote it, except arguments whose whole value is
    a `${params.NAME}`: those are where the use (or the block's default) gave the value.
    Every later stage then places problems on a real line without knowing about blocks.
    """
    under: dict[KeyPath, list[tuple[KeyPath, Location]]] = {}
    for path, location in positions.items():
        if path[:1] == ("blocks",) and len(path) >= 4:
            under.setdefault(path[:4], []).append((path[4:], location))
    where = Report(positions, "").where
    for graph in plan.graphs():
        for step in graph.steps.values():
            if step.origin is None:
                continue
            virtual = graph.step_path(step.name)
            placed = {virtual + rel: location for rel, location in under.get(step.origin.written, [])}
            placed.update({virtual + rel: where(source) for rel, source in step.origin.sources.items()})
            positions.update(placed)


def scan_recipe_plugins(data: dict[str, Any], recipe_dir: Path, report: Report) -> PluginNames:
    plugins = data.get("plugins") or []
    if not isinstance(plugins, list) or not all(isinstance(p, str) and re.match(PLUGIN_PATTERN, p) for p in plugins):
        return PluginNames(unreadable=["?"])  # reported by validation; do not cascade
    names = scan_plugins(plugins, recipe_dir)
    for spec in names.missing:
        report.error(("plugins", plugins.index(spec)), f"plugin {spec!r} not found (looked beside the recipe and on the Python path)")
    return names


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
        blocks = {name: Block.model_validate(b) for name, b in (data.get("blocks") or {}).items()}
        submodels = {name: plan_graph(graph(g), ("submodels", name), blocks, objects.report) for name, g in (data.get("submodels") or {}).items()}
        plan = RecipePlan(plan_graph(graph(data.get("model")), ("model",), blocks, objects.report), submodels)
    except (ValidationError, AttributeError):
        return
    place_expanded_steps(plan, objects.report.positions)
    GraphChecker(objects, plan).check_all()


def _valid_input(spec: Any) -> bool:
    try:
        InputSpec.model_validate(spec if not isinstance(spec, list) else {"shape": spec})
    except ValidationError:
        return False
    return True
