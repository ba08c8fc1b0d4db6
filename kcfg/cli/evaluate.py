"""`kcfg evaluate` and `kcfg predict`: use the model a run saved."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, complete_recipe_paths, print_problems, say

if TYPE_CHECKING:
    from kcfg.run import TrainedRun


RecipeOption = Annotated[Path | None, typer.Option("--recipe", help="The run's recipe file, when it lists plugins: a run directory alone never makes kcfg import code.", show_default=False)]


@contextmanager
def trained_run(target: Path, recipe: Path | None, safe: bool) -> Iterator[TrainedRun]:
    """Open a run (or a recipe's newest run); recipe, data and run problems exit 2 on one line each.

    The recipe the user names (as the target or with --recipe) may import the code it lists;
    a run directory alone never makes kcfg import code.
    """
    from kcfg.cli.keras_import import import_keras_quietly

    import_keras_quietly()
    from kcfg.recipe import RecipeError
    from kcfg.run import FeedError, RunDirError, TrainedRun, find_run

    try:
        named = recipe if recipe is not None else (target if target.is_file() else None)
        yield TrainedRun.open(find_run(target, safe=safe), named, safe=safe)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except (RunDirError, FeedError) as exc:
        say(f"{target}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def evaluate(
    target: Annotated[Path, typer.Argument(metavar="RECIPE_OR_RUN", help="A run directory, or a recipe (its newest trained run).", show_default=False, autocompletion=complete_recipe_paths)],
    data: Annotated[Path | None, typer.Option("--data", help="An .npz or .csv file to evaluate on instead of data.test.", show_default=False)] = None,
    recipe: RecipeOption = None,
    safe: SafeOption = False,
) -> None:
    """Evaluate a trained model on data.test (or --data); print the metrics and save them in metrics.json under `test`.

    Examples:

        kcfg evaluate recipes/digits_cnn.yaml

        kcfg evaluate runs/digits_cnn/20261123-120000 --data more_digits.npz
    """
    with trained_run(target, recipe, safe) as run:
        metrics = run.evaluate(data)
        for name, value in sorted(metrics.items()):
            print(f"{name}: {value:.4f}")
        say(f"saved in {run.run.path / 'metrics.json'}", err=True)


def predict(
    target: Annotated[Path, typer.Argument(metavar="RUN", help="A run directory, or a recipe (its newest trained run).", show_default=False, autocompletion=complete_recipe_paths)],
    input: Annotated[Path, typer.Option("--input", help="Inputs: .npz (arrays by input name, or x) or .csv (columns).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", help="Predictions: .npz (one array per output) or .csv.", show_default=False)],
    recipe: RecipeOption = None,
    safe: SafeOption = False,
) -> None:
    """Predict with a trained model: inputs from a file, predictions to a file.

    Examples:

        kcfg predict runs/digits_cnn/20261123-120000 --input recipes/data/digits_test.npz --output predictions.csv
    """
    with trained_run(target, recipe, safe) as run:
        count = run.predict(input, output)
        say(f"wrote {count} predictions to {output}", err=True)
