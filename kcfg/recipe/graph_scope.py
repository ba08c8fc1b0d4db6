"""The scopes a graph walk keeps: which names one `layers` mapping sees, and entries waiting to be resolved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kcfg.recipe.block_params import Values
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import LayerSpec
from kcfg.recipe.steps import BlockUse, InputRule, Reference
from kcfg.recipe.suggest import did_you_mean


def unknown_name(name: str, known: list[str]) -> str:
    """The message for a reference to nothing, shared with the graph checks."""
    return f"{name!r} is not an input or layer{did_you_mean(name, known)}"


def entry_of(path: KeyPath) -> KeyPath:
    """The layer entry a path under `...layers.NAME` belongs to, for the key of a message."""
    positions = [i for i, part in enumerate(path) if part == "layers"]
    return path[: positions[-1] + 2] if positions and len(path) > positions[-1] + 1 else path


def fixed(refs: list[Reference]) -> Callable[[], list[Reference]]:
    return lambda: refs


@dataclass
class Scope:
    """The names one `layers` mapping sees: a graph's, or one copy of a block's."""

    prefix: str  # prepended to its entries' names
    written: KeyPath  # the `layers` mapping
    inputs: list[str]
    names: dict[str, list[Reference]]  # entry (or graph input) -> its outputs in the expanded graph
    bound: dict[str, Callable[[], list[Reference]]] = field(default_factory=dict)  # block input -> what the use feeds it
    params: Values = field(default_factory=dict)  # the use's parameters
    block: str | None = None
    uses: tuple[BlockUse, ...] = ()
    _fed: dict[str, list[Reference]] = field(default_factory=dict)

    def lookup(self, name: str) -> list[Reference] | None:
        if name in self.names:
            return self.names[name]
        if name in self.bound:
            if name not in self._fed:
                self._fed[name] = self.bound[name]()
            return self._fed[name]
        return None


@dataclass(slots=True)
class Pending:
    """An entry whose names are known but whose references are not resolved yet."""

    entry: str
    path: KeyPath
    spec: LayerSpec  # parameters substituted
    scope: Scope
    rule: InputRule
    default: list[str]  # names of the scope read when there is no `input:`
    sources: dict[KeyPath, KeyPath]
