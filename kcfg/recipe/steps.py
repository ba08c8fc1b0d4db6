"""What the graph plan is made of: references between entries, and one step per layer the builder calls.

Kept apart from `plan.py` so that `blocks.py`, which makes steps from block uses, and
`plan.py`, which orders them, can both use these without importing each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import LayerSpec

_INDEXED = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")

#: How an entry's positional input was decided (said in errors about it).
InputRule = Literal["input", "previous entry", "model input", "block input", "keywords only"]


@dataclass(frozen=True, slots=True)
class Reference:
    """`name` or `name[i]`: output `i` of an entry with several outputs."""

    name: str
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        match = _INDEXED.match(text)
        if match:
            return cls(match["name"], int(match["index"]))
        return cls(text)

    def __str__(self) -> str:
        return self.name if self.index is None else f"{self.name}[{self.index}]"


def call_texts(value: Any) -> list[str] | None:
    """The entry names in one `call:` value: a name, a list of names, or a mapping of names (a dict of tensors)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        return list(value.values())
    return None


def call_references(call: dict[str, Any] | None) -> dict[str, list[Reference]]:
    """`call:` keywords whose values name entries."""
    refs: dict[str, list[Reference]] = {}
    for key, value in (call or {}).items():
        texts = call_texts(value)
        if texts is not None:
            refs[key] = [Reference.parse(text) for text in texts]
    return refs


def input_texts(value: list[Any] | None) -> list[str]:
    """The entry names in `input:` (an `op:` entry's may hold numbers and nested lists)."""
    texts: list[str] = []
    for item in value or []:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list):
            texts += [v for v in item if isinstance(v, str)]
    return texts


@dataclass(frozen=True)
class BlockUse:
    """One use of a block: the entry that says `block:`, and which copy with `repeat:`."""

    path: KeyPath  # where the use is written
    name: str  # the use's name in the expanded graph (`stage_d1` for a use inside a use)
    block: str
    copy: int | None = None  # 1, 2, ... with `repeat:`

    @property
    def label(self) -> str:
        return self.name if self.copy is None else f"{self.name}_{self.copy}"


@dataclass(frozen=True)
class Origin:
    """Where an expanded step was written: a block's layer entry, reached through block uses."""

    written: KeyPath  # ("blocks", NAME, "layers", LAYER)
    uses: tuple[BlockUse, ...]  # outermost first
    sources: dict[KeyPath, KeyPath] = field(default_factory=dict)  # argument -> the use's parameter (or default) it came from


@dataclass(frozen=True, slots=True)
class Step:
    """One layer (or `op:`) entry as the builder will call it."""

    name: str
    spec: LayerSpec
    inputs: tuple[Reference, ...]  # positional: one tensor, or a list for merge layers
    rule: InputRule
    calls: dict[str, list[Reference]]  # `call:` keywords that name entries
    origin: Origin | None = None  # set on steps copied from a block

    def reads(self) -> list[tuple[KeyPath, Reference]]:
        """Every entry this step reads, with the key (under the entry) that names it."""
        found: list[tuple[KeyPath, Reference]] = [(("input",), ref) for ref in self.inputs]
        found += [(("call", key), ref) for key, refs in self.calls.items() for ref in refs]
        return found

    def depends_on(self) -> list[str]:
        """Entries that must exist before this one: what it reads and the layer it shares."""
        return [ref.name for _, ref in self.reads()] + ([self.spec.share] if self.spec.share else [])
