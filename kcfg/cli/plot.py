"""`kcfg plot`: draw the layer graph with Graphviz."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INVALID, SafeOption, SetOption, UnsetOption, build_or_exit, complete_recipe_paths, load_or_exit, say


def plot(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False, autocompletion=complete_recipe_paths)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="png, svg, pdf or dot file; default: <name>.svg here.", show_default=False)] = None,
    shapes: Annotated[bool, typer.Option("--shapes", help="Show each layer's output shape (builds the model).")] = False,
    nested: Annotated[bool, typer.Option("--nested", help="Draw each submodel instance as a cluster of its layers.")] = False,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Draw the recipe's layer graph: layer names, types and the arguments the recipe gives.

    The format follows the suffix. Every format but .dot runs Graphviz's `dot` program.

    Examples:

        kcfg plot recipes/small_resnet.yaml -o graph.svg

        kcfg plot recipes/conv_autoencoder.yaml -o ae.png --shapes --nested
    """
    import graphviz

    from kcfg.builder import FORMATS, GraphDrawing, rendered
    from kcfg.files import write_atomically

    loaded = load_or_exit(recipe, set_, unset, safe)
    output = output or Path(f"{loaded.name}.svg")
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        say(f"{output}: unknown plot format {output.suffix or '(none)'!r}; use one of .{', .'.join(FORMATS)}", err=True)
        raise typer.Exit(EXIT_INVALID)
    built = build_or_exit(loaded) if shapes else None
    drawing = GraphDrawing(loaded.plan, built=built, nested=nested).draw(loaded.recipe.model.name or loaded.name)
    try:
        data = rendered(drawing, fmt)
    except graphviz.ExecutableNotFound:
        say(f"{output}: Graphviz's `dot` program is not installed: install it (apt-get install graphviz, brew install graphviz) or write .dot", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    write_atomically(output, data)
    say(f"wrote {output}", err=True)
