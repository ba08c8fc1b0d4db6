"""`kcfg schema`: the JSON Schema of recipes, for editors and other tools."""

from __future__ import annotations

import json


def schema() -> None:
    """Print the JSON Schema of recipes (the same as schemas/recipe.schema.json).

    Made from kcfg's recipe models and its catalog of Keras classes, so editors complete
    every layer and callback class and check each class's arguments.

    Examples:

        kcfg schema > recipe.schema.json
    """
    from kcfg.recipe import json_schema

    print(json.dumps(json_schema(), indent=2))
