"""`kcfg schema`: the JSON Schema of recipes, for editors and other tools."""

from __future__ import annotations

import json


def schema() -> None:
    """Print the JSON Schema of recipes (the same as schemas/recipe.schema.json).

    Examples:

        kcfg schema > recipe.schema.json
    """
    from kcfg.recipe import json_schema

    print(json.dumps(json_schema(), indent=2))
