"""The Keras backend a recipe asks for (`runtime.backend`), chosen once per process before Keras loads.

Keras reads `KERAS_BACKEND` when it is first imported and cannot switch afterwards, so
`kcfg train` loads the recipe (no Keras), sets the variable, then imports Keras.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kcfg.recipe.errors import PathProblem
from kcfg.recipe.schema import Runtime


class BackendProblem(PathProblem):
    """A backend this process can no longer switch to; reported at `runtime.backend`."""


def use_backend(runtime: Runtime) -> None:
    """Make the next `import keras` load `runtime.backend`; JAX sees only the CPU when `device: cpu`."""
    keras = sys.modules.get("keras")
    if keras is not None:
        current = keras.backend.backend()
        if current != runtime.backend:
            raise BackendProblem(("runtime", "backend"), f"Keras is already loaded on the {current} backend in this process; the backend is chosen once per process, before Keras loads")
        return
    os.environ["KERAS_BACKEND"] = runtime.backend
    if runtime.backend == "jax" and runtime.device == "cpu":
        os.environ["JAX_PLATFORMS"] = "cpu"


def recipe_backend(file: Path) -> str:
    """The backend a recipe names (tensorflow for one that does not load: its smoke test reports why)."""
    from kcfg.recipe import RecipeError, load_recipe

    try:
        return load_recipe(file).recipe.runtime.backend
    except RecipeError:
        return "tensorflow"


def by_backend(files: list[Path], forced: str | None) -> dict[str, list[Path]]:
    """Recipe files grouped by the backend they run on, the first file's backend first; `forced` puts all on one."""
    if forced is not None:
        return {forced: list(files)} if files else {}
    groups: dict[str, list[Path]] = {}
    for file in files:
        groups.setdefault(recipe_backend(file), []).append(file)
    return groups


def choose_backend(name: str) -> None:
    """`use_backend` for a whole command (`kcfg smoke --backend`): the next `import keras` loads `name`."""
    use_backend(Runtime(backend=name))  # type: ignore[arg-type]
