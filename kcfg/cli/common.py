"""Options shared by every command that takes a recipe, and the printing of problems."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the stages import pydantic and Keras: only load them when a command runs
    from kcfg.builder import BuiltGraph
    from kcfg.recipe import LoadedRecipe, Problem

#: Exit codes of RECIPE.md section 10.
EXIT_RUN_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

SetOption = Annotated[list[str], typer.Option("--set", metavar="PATH=VALUE", help="Override a value (parsed as YAML); repeatable.")]
UnsetOption = Annotated[list[str], typer.Option("--unset", metavar="PATH", help="Remove a key; repeatable.")]
SafeOption = Annotated[bool, typer.Option("--safe", envvar="KCFG_SAFE", help="For recipes from untrusted hands: no code, no network, no file read or written outside the recipe's folder and the run directory (README: Safety).")]


def say(line: str, *, err: bool = False, flush: bool = False) -> None:
    """Print one line that holds user text (paths, messages): escaped and redacted, so it stays one line."""
    from kcfg.recipe.errors import printable

    print(printable(line), file=sys.stderr if err else sys.stdout, flush=flush)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def load_or_exit(file: Path, sets: list[str], unsets: list[str], safe: bool) -> LoadedRecipe:
    """Load a recipe and print its warnings; on problems print them one per line and exit 2."""
    from kcfg.recipe import RecipeError, load_recipe

    try:
        loaded = load_recipe(file, sets=sets, unsets=unsets, safe=safe)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    print_problems(loaded.warnings)
    return loaded


def recipe_files(paths: list[Path]) -> list[Path]:
    """Files as given; folders expand to the `*.yaml` / `*.yml` files in them, sorted.

    A folder without recipes is a usage error (exit 2): CI must not pass on nothing.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                say(f"{path}: no recipe files (*.yaml, *.yml) in this folder", err=True)
                raise typer.Exit(EXIT_INVALID)
            files.extend(found)
        else:
            files.append(path)
    return files


def complete_recipe_paths(incomplete: str) -> list[str]:
    """Shell completion of recipe arguments: folders and `.yaml`/`.yml` files that start with what was typed."""
    prefix = incomplete.rpartition("/")[2]
    head = incomplete[: len(incomplete) - len(prefix)]
    try:
        entries = sorted(Path(head or ".").iterdir())
    except OSError:
        return []
    matches = [entry for entry in entries if entry.name.startswith(prefix) and not (entry.name.startswith(".") and not prefix.startswith("."))]
    return [head + entry.name + "/" if entry.is_dir() else head + entry.name for entry in matches if entry.is_dir() or entry.suffix in (".yaml", ".yml")]


def debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("KCFG_DEBUG") == "1"


def build_or_exit(loaded: LoadedRecipe) -> BuiltGraph:
    """Build the recipe's model as training does (`adapt:` layers adapted on their data); on a Keras error print it on the layer's line and exit 2."""
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.recipe import RecipeError

    import_keras_quietly()
    from kcfg.run import build_adapted

    try:
        return build_adapted(loaded)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
