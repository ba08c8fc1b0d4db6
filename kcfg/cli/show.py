"""`kcfg show`: the resolved recipe, as the later stages will see it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import SafeOption, SetOption, UnsetOption, load_or_exit


def show(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False)],
    set_: SetOption = [],  # noqa: B006
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
    expand: Annotated[bool, typer.Option("--expand", help="Replace every block use by the layers it expands to.")] = False,
) -> None:
    """Print the resolved recipe: extends merged, overrides and ${...} interpolation applied;
    with --expand, blocks expanded too.

    ${run_dir} and ${timestamp} stay as written until a run starts. With --safe, values
    that came from ${env:NAME} are shown as that reference.

    Examples:

        kcfg show recipes/small_resnet.yaml

        kcfg show recipes/small_resnet.yaml --set fit.epochs=3 --unset callbacks

        kcfg show recipes/unet.yaml --expand
    """
    from kcfg.recipe import dump_yaml, expanded_recipe
    from kcfg.recipe.errors import redacted

    loaded = load_or_exit(recipe, set_, unset, safe)
    text = dump_yaml(expanded_recipe(loaded) if expand else loaded.data)
    print(redacted(text) if safe else text, end="")  # --safe prints no environment value
