"""What configuring `runtime:` yields on either backend, and the problem it raises (exit 2)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from kcfg.recipe.errors import PathProblem


class RuntimeProblem(PathProblem):
    """A runtime setting this machine or cluster cannot honour; reported at `path`, exit 2."""


@dataclass
class RuntimeSetup:
    """The scope to build and compile in, the seed every process shares, and what the manifest records."""

    strategy: Any  # a tf.distribute strategy; None on JAX, where keras.distribution holds the layout
    record: dict[str, Any]
    seed: int | None

    def scope(self) -> AbstractContextManager[Any]:
        return self.strategy.scope() if self.strategy is not None else nullcontext()
