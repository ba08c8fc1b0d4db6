"""`kcfg validate`: every static check, without importing TensorFlow."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, SetOption, UnsetOption, complete_recipe_paths, print_problems, recipe_files, say


class Format(str, Enum):
    text = "text"
    json = "json"


def validate(
    recipes: Annotated[list[Path], typer.Argument(help="Recipe files or folders of recipes.", show_default=False, autocompletion=complete_recipe_paths)],
    format: Annotated[Format, typer.Option("--format", help="text, or json for CI tools.")] = Format.text,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Check recipes without building them: schema, Keras classes and arguments, graph, outputs.

    Exit code 0 when all are valid (warnings allowed), 2 when any has an error.

    Examples:

        kcfg validate recipes/

        kcfg validate recipes/small_resnet.yaml --set fit.epochs=3 --format json
    """
    from kcfg.recipe import Problem, RecipeError, load_recipe

    results: list[tuple[Path, list[Problem]]] = []
    for file in recipe_files(recipes):
        try:
            problems = load_recipe(file, sets=set_, unsets=unset, safe=safe).warnings
        except RecipeError as exc:
            problems = exc.problems
        results.append((file, problems))
    failed = any(p.severity == "error" for _, problems in results for p in problems)
    if format is Format.json:
        report = [
            {"file": str(file), "valid": not any(p.severity == "error" for p in problems), "problems": [p.as_dict() for p in problems]}
            for file, problems in results
        ]
        json.dump({"valid": not failed, "recipes": report}, sys.stdout, indent=2)
        print()
    else:
        for file, problems in results:
            print_problems(problems)
            errors = sum(p.severity == "error" for p in problems)
            status = f"{errors} error(s)" if errors else "ok"
            warnings = len(problems) - errors
            say(f"{file}: {status}" + (f", {warnings} warning(s)" if warnings else ""))
    if failed:
        raise typer.Exit(EXIT_INVALID)
