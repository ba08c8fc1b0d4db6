"""The `kcfg` command: wires the subcommands and turns failures into exit codes, never tracebacks."""

from __future__ import annotations

import os
import sys

import typer

from kcfg import __version__
from kcfg.cli.common import EXIT_INTERRUPTED, EXIT_RUN_FAILED, debug_requested, say
from kcfg.cli.curves import curves
from kcfg.cli.diff import diff
from kcfg.cli.evaluate import evaluate, predict
from kcfg.cli.export import export
from kcfg.cli.import_model import import_model
from kcfg.cli.plot import plot
from kcfg.cli.report import report
from kcfg.cli.runs import runs
from kcfg.cli.schema import schema
from kcfg.cli.show import show
from kcfg.cli.smoke import smoke
from kcfg.cli.summary import summary
from kcfg.cli.train import train
from kcfg.cli.tune import tune
from kcfg.cli.validate import validate

app = typer.Typer(
    name="kcfg",
    help="Keras models, training runs and CI checks described in YAML recipes.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion; recipe arguments complete folders and .yaml files
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(validate)
app.command()(show)
app.command()(summary)
app.command()(plot)
app.command()(train)
app.command()(evaluate)
app.command()(predict)
app.command()(smoke)
app.command()(schema)
app.command("import")(import_model)
app.command()(tune)
app.command()(runs)
app.command()(curves)
app.command()(diff)
app.command()(report)
app.command()(export)


def _version(value: bool) -> None:
    if value:
        print(f"kcfg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks (also accepted after the subcommand)."),
) -> None:
    """Keras models, training runs and CI checks described in YAML recipes.

    Exit codes: 0 success, 1 the run failed, 2 invalid recipe or usage, 130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(args)
    args = [a for a in args if a != "--debug"]
    if not debug:  # TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) is not for users
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        app(args=args, prog_name="kcfg", standalone_mode=True)
    except KeyboardInterrupt:
        print("kcfg: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # the last boundary: one line unless --debug
        if debug:
            raise
        message = " ".join(str(exc).split())
        message = message if len(message) <= 300 else message[:297] + "..."
        say(f"kcfg: internal error: {type(exc).__name__}: {message} (run with --debug for the traceback)", err=True)
        sys.exit(EXIT_RUN_FAILED)
