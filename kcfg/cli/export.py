"""`kcfg export`: serving artifacts of a trained run, each checked against the model before it is written."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, EXIT_RUN_FAILED, SafeOption, complete_recipe_paths, say
from kcfg.cli.evaluate import RecipeOption, trained_run
from kcfg.cli.keras_import import captured_stderr, quiet


@contextmanager
def converter_chatter_hidden() -> Iterator[None]:
    """The converters' C++ logs (MLIR diagnostics of a conversion kcfg retries, delegate notices) and Keras's
    export warnings are not for users; errors reach them as exceptions. --debug shows it all."""
    if not quiet():
        yield
        return
    with captured_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class ExportFormat(str, Enum):
    saved_model = "saved_model"
    onnx = "onnx"
    litert = "litert"


def export(
    target: Annotated[Path, typer.Argument(metavar="RUN", help="A run directory, or a recipe (its newest trained run).", show_default=False, autocompletion=complete_recipe_paths)],
    format: Annotated[ExportFormat, typer.Option("--format", help="saved_model (TensorFlow Serving), onnx (onnxruntime) or litert (.tflite).", show_default=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write it; default: RUN/export/saved_model, model.onnx or model.tflite.", show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing artifact.")] = False,
    recipe: RecipeOption = None,
    safe: SafeOption = False,
) -> None:
    """Export a trained model for serving with Keras's Model.export, checked in its own runtime first.

    The artifact is loaded in TensorFlow, onnxruntime or the LiteRT interpreter and run on
    sample inputs shaped by the model; it is written only if its predictions match the
    model's (exit 1 if not). onnx and litert need the `export` extra.

    Examples:

        kcfg export runs/digits_cnn/20261123-120000 --format saved_model

        kcfg export recipes/digits_cnn.yaml --format onnx -o digits.onnx

        kcfg export recipes/text_classifier.yaml --format litert -o text.tflite
    """
    with trained_run(target, recipe, safe) as run:
        from kcfg.run import FORMATS, ExportMismatch, ExportUnavailable, export_model

        path = output if output is not None else run.run.path / "export" / FORMATS[format.value]
        try:
            with converter_chatter_hidden():
                exported = export_model(run.model, format.value, path, overwrite=overwrite)
        except (ExportUnavailable, FileExistsError) as exc:
            say(f"kcfg export: {exc}", err=True)
            raise typer.Exit(EXIT_INVALID) from None
        except ExportMismatch as exc:
            say(f"kcfg export: {exc}", err=True)
            raise typer.Exit(EXIT_RUN_FAILED) from None
    for note in exported.notes:
        say(f"note: {note}", err=True)
    say(f"wrote {exported.path} ({format.value}; predictions match the model within {exported.largest_difference:.1g})")
