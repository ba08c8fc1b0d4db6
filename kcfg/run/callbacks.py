"""The recipe's `callbacks:` as Keras callback objects, with the folders they write to made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kcfg.builder.objects import ObjectFactory
from kcfg.recipe.schema import Recipe, plain

#: Callback arguments naming a file (its folder is created) or a folder (created).
_FILE_ARGUMENTS = ("filepath", "filename")
_FOLDER_ARGUMENTS = ("log_dir", "backup_dir")


def build_callbacks(recipe: Recipe, factory: ObjectFactory) -> list[Any]:
    """Every `keras.callbacks` class or plugin callback the recipe lists, in order."""
    callbacks = []
    for spec in recipe.callbacks:
        arguments = plain(spec)
        for key in _FILE_ARGUMENTS:
            if isinstance(arguments.get(key), str):
                Path(arguments[key]).parent.mkdir(parents=True, exist_ok=True)
        for key in _FOLDER_ARGUMENTS:
            if isinstance(arguments.get(key), str):
                Path(arguments[key]).mkdir(parents=True, exist_ok=True)
        callbacks.append(factory.build(arguments, "callbacks"))
    return callbacks
