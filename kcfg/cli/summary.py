"""`kcfg summary`: build the model and print Keras's own summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import SafeOption, SetOption, UnsetOption, build_or_exit, complete_recipe_paths, load_or_exit


def summary(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False, autocompletion=complete_recipe_paths)],
    expand: Annotated[bool, typer.Option("--expand", help="List the layers inside each submodel.")] = False,
    width: Annotated[int | None, typer.Option("--width", min=60, help="Line length of the table; default: Keras's.", show_default=False)] = None,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Build the recipe's model and print its summary: Layer (type), Output Shape, Param #, Connected to.

    Submodel instances show their submodel's name as their type.

    Examples:

        kcfg summary recipes/small_resnet.yaml

        kcfg summary recipes/conv_autoencoder.yaml --expand
    """
    from kcfg.builder import summary_text

    built = build_or_exit(load_or_exit(recipe, set_, unset, safe))
    print(summary_text(built, expand=expand, width=width), end="")
