"""`kcfg import`: write the recipe of an existing Keras model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, print_problems, say


def import_model(
    model: Annotated[Path, typer.Argument(metavar="MODEL.keras", help="A model saved with model.save('...keras').", show_default=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Recipe file to write; default: print it.", show_default=False)] = None,
    plugin: Annotated[list[str], typer.Option("--plugin", metavar="MODULE", help="A plugin (module or .py file) that defines the model's custom classes; repeatable.")] = [],  # noqa: B006
) -> None:
    """Write a readable recipe that builds the same architecture as a saved Keras model.

    Layers keep their names; `input:` appears only where it is not the previous layer;
    arguments only where they differ from Keras's defaults; nested models become
    submodels and layers called twice become `share:` entries. Weights are not copied.

    Examples:

        kcfg import model.keras -o recipes/model.yaml

        kcfg import custom.keras --plugin my_layers -o custom.yaml
    """
    from kcfg.cli.keras_import import import_keras_quietly

    import_keras_quietly()
    from kcfg.builder import ObjectFactory, load_plugins
    from kcfg.files import write_atomically
    from kcfg.importer import ImportProblem, import_recipe, read_model_config
    from kcfg.recipe import Location, RecipeError, dump_yaml, load_recipe

    base = (output or Path("recipe.yaml")).resolve().parent
    try:
        plugins = load_plugins(plugin, base, lambda path: Location("--plugin"))
        data = import_recipe(read_model_config(model), ObjectFactory(plugins))
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except ImportProblem as exc:
        say(f"{model}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if plugin:
        data = {"plugins": list(plugin), **data}
    text = f"# Imported by: kcfg import {model}\n" + dump_yaml(data)
    if output is None:
        print(text, end="")
        return
    write_atomically(output, text)
    try:
        load_recipe(output)
    except RecipeError as exc:  # a bug in the importer, not in the model: say so, keep the file to report it
        print_problems(exc.problems)
        say(f"{output}: kcfg import wrote a recipe that does not validate; please report it", err=True)
        raise typer.Exit(1) from None
    say(f"wrote {output}", err=True)
