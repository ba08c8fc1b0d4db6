"""The recipe's `callbacks:` as Keras callback objects, with the folders they write to made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kcfg.builder import KerasBoundary, ObjectFactory
from kcfg.recipe import Recipe, plain

#: Callback arguments naming a file (its folder is created) or a folder (created).
_FILE_ARGUMENTS = ("filepath", "filename")
_FOLDER_ARGUMENTS = ("log_dir", "backup_dir")


def build_callbacks(recipe: Recipe, factory: ObjectFactory, boundary: KerasBoundary, *, resumed: bool = False) -> list[Any]:
    """Every `keras.callbacks` class or plugin callback the recipe lists, in order.

    A resumed run's CSVLogger appends unless the recipe says otherwise: Keras would
    otherwise start its file again and lose the rows of the epochs before the interruption.
    """
    callbacks = []
    for i, spec in enumerate(recipe.callbacks):
        arguments = plain(spec)
        if resumed and arguments.get("type") == "CSVLogger" and "append" not in arguments:
            arguments["append"] = True
        for key in _FILE_ARGUMENTS:
            if isinstance(arguments.get(key), str):
                Path(arguments[key]).parent.mkdir(parents=True, exist_ok=True)
        for key in _FOLDER_ARGUMENTS:
            if isinstance(arguments.get(key), str):
                Path(arguments[key]).mkdir(parents=True, exist_ok=True)
        with boundary.at(("callbacks", i), arguments):
            callbacks.append(factory.build(arguments, "callbacks", ("callbacks", i)))
    return callbacks
