"""`kcfg runs`: a table of the runs under a folder. Reads files only; no TensorFlow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, say
from kcfg.cli.validate import Format


def runs(
    folder: Annotated[Path, typer.Argument(metavar="[DIR]", help="A folder of runs (searched recursively), or one run.")] = Path("runs"),
    format: Annotated[Format, typer.Option("--format", help="text, or json for scripts.")] = Format.text,
) -> None:
    """List runs: name, status, epochs done of planned, start time, and the last epoch's train and validation metrics (test too, once evaluated).

    A run is any folder with a manifest.json: kcfg train's run directories and kcfg tune's trials.

    Examples:

        kcfg runs

        kcfg runs runs/search/trials --format json
    """
    from kcfg.run import run_rows, runs_text

    if not folder.is_dir():
        say(f"{folder}: no such folder", err=True)
        raise typer.Exit(EXIT_INVALID)
    rows, notes = run_rows(folder)
    for note in notes:
        say(f"note: {note}", err=True)
    if format is Format.json:
        json.dump([row.as_json() for row in rows], sys.stdout, indent=2)
        print()
    elif rows:
        sys.stdout.write(runs_text(rows))
    else:
        say(f"no runs under {folder}", err=True)
