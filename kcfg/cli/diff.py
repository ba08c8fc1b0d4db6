"""`kcfg diff`: compare two recipes or runs. Reads files only; no TensorFlow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, print_problems, say


def diff(
    a: Annotated[Path, typer.Argument(metavar="A", help="A recipe file or a run directory.", show_default=False)],
    b: Annotated[Path, typer.Argument(metavar="B", help="A recipe file or a run directory.", show_default=False)],
    safe: SafeOption = False,
) -> None:
    """Show which resolved recipe keys changed (~), were added (+) or removed (-) from A to B, then the metric deltas of two runs.

    A run is compared by the recipe.yaml it saved (its own folder shown as ${run_dir} again)
    and its metrics.json; a recipe by what kcfg show prints.

    Examples:

        kcfg diff recipes/digits_cnn.yaml recipes/digits_tune.yaml

        kcfg diff runs/digits runs/search/trials/03
    """
    from kcfg.recipe import RecipeError
    from kcfg.run import RunDirError, diff_lines, diff_side

    try:
        left, right = diff_side(a, safe=safe), diff_side(b, safe=safe)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except RunDirError as exc:
        say(f"kcfg diff: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    print("\n".join(diff_lines(left, right)))
