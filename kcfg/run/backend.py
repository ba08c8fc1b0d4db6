"""The Keras backend a recipe asks for (`runtime.backend`), chosen once per process before Keras loads.

Keras reads `KERAS_BACKEND` when it is first imported and cannot switch afterwards, so
`kcfg train` loads the recipe (no Keras), sets the variable, then imports Keras.
"""

from __future__ import annotations

import os
import sys

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
