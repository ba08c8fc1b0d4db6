"""`kcfg train`: fit a recipe into a run directory, or continue an interrupted run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_RUN_FAILED, SafeOption, SetOption, UnsetOption, complete_recipe_paths, print_problems


def fail(message: str, code: int) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code)


def train(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False, autocompletion=complete_recipe_paths)],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run directory; default: runtime.run_dir (runs/<name>/<timestamp>).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest run of this recipe (or --run-dir) from its last completed epoch.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Build, compile and fit the recipe's model; write the run directory.

    The run directory holds recipe.yaml (resolved), manifest.json, history.csv,
    metrics.json, summary.txt and model.keras, each written atomically, plus what the
    callbacks write. Ctrl-C keeps the last completed epoch: continue with --resume.

    Exit codes: 0 trained, 1 the run failed (NaN loss), 2 invalid recipe or data, 130 interrupted.

    Examples:

        kcfg train recipes/digits_cnn.yaml

        kcfg train recipes/digits_cnn.yaml --set fit.epochs=3 --run-dir runs/quick

        kcfg train recipes/digits_cnn.yaml --resume
    """
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.recipe import RecipeError

    import_keras_quietly()
    from kcfg.run import RunDirError, Training, TrainingFailed, TrainingRequest

    request = TrainingRequest(recipe, set_, unset, safe, run_dir, resume, overwrite, sys.argv)
    try:
        training = Training.open(request)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except RunDirError as exc:
        raise fail(f"kcfg train --resume: {exc}", EXIT_INVALID) from None
    print_problems(training.warnings)
    try:
        finished, metrics = training.run(notes=print_problems)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except RunDirError as exc:
        raise fail(f"kcfg train: {exc}", EXIT_INVALID) from None
    except TrainingFailed as exc:
        raise fail(f"kcfg train: the run failed: {exc}", EXIT_RUN_FAILED) from None
    except KeyboardInterrupt:
        raise fail(f"kcfg train: interrupted; continue with: kcfg train {recipe} --resume --run-dir {training.path}", EXIT_INTERRUPTED) from None
    for section, values in metrics.items():
        if values:
            print(f"{section}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(values.items())))
    print(f"run: {finished.path}")
