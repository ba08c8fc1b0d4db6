"""`kcfg import`: write the recipe of an existing Keras model."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, print_problems, say


class Adapted(str, Enum):
    """How preprocessing layers whose state came from `adapt()` are written."""

    adapt = "adapt"
    values = "values"


def import_model(
    model: Annotated[Path, typer.Argument(metavar="MODEL.keras", help="A model saved with model.save('...keras').", show_default=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Recipe file to write; default: print it.", show_default=False)] = None,
    plugin: Annotated[list[str], typer.Option("--plugin", metavar="MODULE", help="A plugin (module or .py file) that defines the model's custom classes; repeatable.")] = [],  # noqa: B006
    adapted: Annotated[
        Adapted,
        typer.Option(
            "--adapted",
            help="Adapted preprocessing layers (a vocabulary, a mean and variance): `adapt` writes `adapt: train` with a comment (and placeholder training data), so training adapts them again; `values` writes the saved state as their arguments.",
        ),
    ] = Adapted.adapt,
) -> None:
    """Write a readable recipe that builds the same architecture as a saved Keras model.

    Layers keep their names; `input:` appears only where it is not the previous layer;
    arguments only where they differ from Keras's defaults; nested models become
    submodels, layers called twice `share:` entries, bare `keras.ops` calls `op:` entries,
    and the saved compile configuration the `compile:` section. Weights are not copied.

    Examples:

        kcfg import model.keras -o recipes/model.yaml

        kcfg import custom.keras --plugin my_layers -o custom.yaml

        kcfg import structured.keras --adapted values -o structured.yaml
    """
    from kcfg.cli.keras_import import import_keras_quietly

    import_keras_quietly()
    from kcfg.builder import ObjectFactory, load_plugins
    from kcfg.files import write_atomically
    from kcfg.importer import ImportProblem, SavedState, comment_adapted, import_recipe, read_model_config
    from kcfg.recipe import Location, RecipeError, dump_yaml, load_recipe

    base = (output or Path("recipe.yaml")).resolve().parent
    try:
        plugins = load_plugins(plugin, base, lambda path: Location("--plugin"))
        data = import_recipe(read_model_config(model), ObjectFactory(plugins), adapted.value, SavedState(model, plugins))
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except ImportProblem as exc:
        say(f"{model}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if plugin:
        data = {"plugins": list(plugin), **data}
    text = f"# Imported by: kcfg import {model}\n# yaml-language-server: $schema={schema_path(base)}\n" + comment_adapted(dump_yaml(data))
    if output is None:
        print(text, end="")
        return
    write_atomically(output, text)
    try:
        load_recipe(output)
    except RecipeError as exc:  # kept on disk, so the problems' lines can be read
        print_problems(exc.problems)
        raise typer.Exit(1) from None
    say(f"wrote {output}", err=True)


def schema_path(folder: Path) -> str:
    """The recipe schema for editors, relative to the recipe's folder: a project's
    `schemas/recipe.schema.json` above it (as shipped recipes name it), else the installed one."""
    for parent in (folder, *folder.parents):
        if (parent / "schemas" / "recipe.schema.json").is_file():
            return Path(os.path.relpath(parent / "schemas" / "recipe.schema.json", folder)).as_posix()
    return (Path(__file__).resolve().parent.parent / "schemas" / "recipe.schema.json").as_posix()
