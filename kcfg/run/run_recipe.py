"""The recipe an existing run continues with (`train --resume`, `evaluate`, `predict`).

A run directory is data, not instructions: whatever code a run would bring with it (the
recipe its manifest names, when that recipe lists plugins; overrides it was started with
that add plugins or python sources) is refused unless the user's own recipe file lists it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kcfg.recipe import LoadedRecipe, load_recipe
from kcfg.recipe.safety import code_names
from kcfg.run.run_dir import RunDir, RunDirError


def stored_overrides(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The `--set` and `--unset` overrides a run started with."""
    overrides = [o for o in manifest.get("overrides", []) if isinstance(o, str)]
    return [o for o in overrides if not o.startswith("~")], [o[1:] for o in overrides if o.startswith("~")]


def recipe_for_run(run: RunDir, recipe: Path | None, *, safe: bool, sets: list[str] | None = None, unsets: list[str] | None = None) -> LoadedRecipe:
    """The run's recipe, with the user's overrides or else the ones the run started with, and the run's variables.

    Args:
        run: the run directory.
        recipe: the recipe file the user named; None to use the one in the run's manifest.
        safe: --safe.
        sets, unsets: overrides the user gave now (they replace the stored ones).

    Raises:
        RecipeError: the recipe is invalid.
        RunDirError: the run would make kcfg import code the user's recipe does not list.
    """
    manifest = run.manifest()
    file = recipe if recipe is not None else Path(str(manifest.get("recipe", "")))
    loaded = load_recipe(file, sets=sets or [], unsets=unsets or [], safe=safe)
    allowed = set(code_names(loaded.data)) if recipe is not None else set()
    stored_sets, stored_unsets = stored_overrides(manifest)
    if not sets and not unsets and (stored_sets or stored_unsets):
        loaded = load_recipe(file, sets=stored_sets, unsets=stored_unsets, safe=safe)
    brought = [name for name in code_names(loaded.data) if name not in allowed]
    if brought:
        how = "repeat the overrides yourself with --set" if recipe is not None else "name the recipe file that lists it with --recipe"
        raise RunDirError(f"{run.path}: continuing this run would import code ({', '.join(brought)}), and a run directory never decides what code runs: {how}")
    return loaded.with_run(run.path, str(manifest.get("timestamp", "")))
