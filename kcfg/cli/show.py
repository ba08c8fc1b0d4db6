"""`kcfg show`: the resolved recipe, as the later stages will see it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, SetOption, UnsetOption, complete_recipe_paths, load_or_exit, say


def show(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False, autocompletion=complete_recipe_paths)],
    set_: SetOption = [],  # noqa: B006
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
    expand: Annotated[bool, typer.Option("--expand", help="Replace every block use by the layers it expands to.")] = False,
    defaults: Annotated[bool, typer.Option("--defaults", help="Also write out every default kcfg applies (fit, runtime, compile, each layer's input, outputs, ...).")] = False,
) -> None:
    """Print the resolved recipe: extends merged, overrides and ${...} interpolation applied;
    with --expand, blocks expanded too.

    ${run_dir} and ${timestamp} stay as written until a run starts. With --defaults, every
    default that applies is written out too; the output is a recipe that builds the same.
    With --safe, values that came from ${env:NAME} are shown as that reference.

    Examples:

        kcfg show recipes/small_resnet.yaml

        kcfg show recipes/small_resnet.yaml --set fit.epochs=3 --unset callbacks

        kcfg show recipes/unet.yaml --expand

        kcfg show recipes/mnist_mlp.yaml --defaults
    """
    from kcfg.recipe import dump_yaml, expanded_recipe, with_defaults
    from kcfg.recipe.errors import redacted

    if expand and defaults:
        say("kcfg show: give --expand or --defaults, not both", err=True)
        raise typer.Exit(EXIT_INVALID)
    loaded = load_or_exit(recipe, set_, unset, safe)
    text = dump_yaml(expanded_recipe(loaded) if expand else with_defaults(loaded) if defaults else loaded.data)
    print(redacted(text) if safe else text, end="")  # --safe prints no environment value
