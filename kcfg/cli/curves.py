"""`kcfg curves`: learning curves of one or more runs in one figure. Reads files only; no TensorFlow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, say


def curves(
    runs: Annotated[list[Path], typer.Argument(metavar="RUN...", help="Run directories.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="png, svg or pdf file.", show_default=False)],
) -> None:
    """Draw loss and each metric per epoch, training solid and validation dashed, one colour per run.

    Needs matplotlib: pip install 'kcfg[plots]'.

    Examples:

        kcfg curves runs/digits -o digits.png

        kcfg curves runs/search/trials/* -o trials.svg
    """
    from kcfg.files import write_atomically
    from kcfg.run import CurvesError, RunDir, draw_curves

    missing = [str(run) for run in runs if not (run / "manifest.json").is_file()]
    if missing:
        say(f"not a kcfg run (no manifest.json): {', '.join(missing)}", err=True)
        raise typer.Exit(EXIT_INVALID)
    try:
        data = draw_curves([RunDir(run) for run in runs], output.suffix.lstrip(".").lower())
    except CurvesError as exc:
        say(f"{output}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except ImportError:
        print("kcfg curves needs matplotlib: pip install 'kcfg[plots]'", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    write_atomically(output, data)
    say(f"wrote {output}", err=True)
