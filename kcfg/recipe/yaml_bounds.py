"""Limits on what a YAML node tree may expand to, checked before it is read into Python data.

PyYAML composes an alias as the very node its anchor names, so a 670-byte file of nested
aliases (or `<<` merge keys) is a small tree that reads into tens of millions of values.
The tree is measured here without expanding it (each node once, shared nodes by identity),
and the first node that would expand past the limit is named with its line.
"""

from __future__ import annotations

import yaml

#: Values a recipe may expand to: far above any real recipe (a 2,000-layer model is ~20,000).
MAX_VALUES = 2_000_000
#: Nesting a recipe may have: real ones stay under 10 levels.
MAX_DEPTH = 100


class TooLarge(Exception):
    """The tree expands past a limit; `node` is where it happens."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node) -> None:
    """Raise `TooLarge` for a recursive alias, or a node that expands past MAX_VALUES or MAX_DEPTH.

    An iterative post-order walk: every node is measured once, however often aliases use it.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    entered: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in size:
            stack.pop()
            continue
        children = _children(node)
        waiting = [child for child in children if id(child) not in size]
        if key not in entered:
            entered.add(key)
            for child in waiting:
                if id(child) in entered:
                    raise TooLarge(child, "this value contains itself through a YAML alias")
            stack.extend(waiting)
            continue
        stack.pop()
        size[key] = 1 + sum(size[id(child)] for child in children)
        depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
        if size[key] > MAX_VALUES:
            raise TooLarge(node, f"this value expands to {size[key]:,} values through YAML aliases or merge keys (at most {MAX_VALUES:,})")
        if depth[key] > MAX_DEPTH:
            raise TooLarge(node, f"values nest more than {MAX_DEPTH} levels deep")
