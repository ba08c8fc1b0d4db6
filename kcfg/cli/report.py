"""`kcfg report`: one self-contained HTML page about a run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, print_problems


def report(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="A run directory.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .html file to write.", show_default=False)],
    safe: SafeOption = False,
) -> None:
    """Write one HTML page: metrics, learning curves, a confusion matrix (classifiers with test data), the layer graph, the summary, the resolved recipe and the manifest.

    Everything is inline (CSS, SVG): the page opens offline and can be mailed or archived
    as one file. Needs matplotlib: pip install 'kcfg[plots]'.

    Examples:

        kcfg report runs/digits -o digits.html
    """
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.files import write_atomically
    from kcfg.recipe import RecipeError

    import_keras_quietly()
    from kcfg.run import FeedError, RunDirError, report_html

    if not (run / "manifest.json").is_file():
        print(f"{run}: not a kcfg run (no manifest.json)", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID)
    try:
        page = report_html(run, safe=safe)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except (RunDirError, FeedError) as exc:
        print(f"{run}: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    except ImportError:
        print("kcfg report needs matplotlib: pip install 'kcfg[plots]'", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    write_atomically(output, page)
    print(f"wrote {output}", file=sys.stderr)
