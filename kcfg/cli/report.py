"""`kcfg report`: one self-contained HTML page about a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, say
from kcfg.cli.evaluate import RecipeOption


def report(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="A run directory.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .html file to write.", show_default=False)],
    recipe: RecipeOption = None,
    safe: SafeOption = False,
) -> None:
    """Write one HTML page: metrics, learning curves, a confusion matrix (classifiers with test data), the layer graph, the summary, the resolved recipe and the manifest.

    Everything is inline (CSS, SVG): the page opens offline and can be mailed or archived
    as one file. Needs matplotlib: pip install 'kcfg[plots]'.

    Examples:

        kcfg report runs/digits -o digits.html
    """
    from kcfg.cli.evaluate import trained_run
    from kcfg.files import write_atomically
    from kcfg.run import report_html

    if not (run / "manifest.json").is_file():
        say(f"{run}: not a kcfg run (no manifest.json)", err=True)
        raise typer.Exit(EXIT_INVALID)
    with trained_run(run, recipe, safe) as trained:
        try:
            page = report_html(trained)
        except ImportError:
            say("kcfg report needs matplotlib: pip install 'kcfg[plots]'", err=True)
            raise typer.Exit(EXIT_INVALID) from None
    write_atomically(output, page)
    say(f"wrote {output}", err=True)
