"""Safe YAML 1.2 reading that remembers where every value was written, and dumping back.

PyYAML resolves plain scalars by YAML 1.1 rules (`1e-3` is a string, `yes` is a boolean).
We only let it build the node tree (nothing is constructed, so no tag can run code) and
resolve plain scalars ourselves with the YAML 1.2 core schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml

from kcfg.recipe.errors import KeyPath, Location, Problem, RecipeError, dotted
from kcfg.recipe.yaml_bounds import TooLarge, check_expansion
from kcfg.recipe.yaml_traps import flow_list_hint

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = "tag:kcfg:plain"
_STD = "tag:yaml.org,2002:"
_MERGE_KEY = "<<"

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class _NodeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Composes nodes only; plain scalars get a private tag so we can resolve them as 1.2."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


def plain_scalar(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


_EXPLICIT: dict[str, Callable[[str], Any]] = {
    _STD + "str": str,
    _STD + "int": lambda s: int(s, 0),
    _STD + "float": float,
    _STD + "bool": lambda s: _BOOL[s],
    _STD + "null": lambda s: None,
}


class _Reader:
    """Turns a node tree into plain Python data plus a {path: Location} table."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.positions: dict[KeyPath, Location] = {}
        self.problems: list[Problem] = []

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.source, mark.line + 1, mark.column + 1)

    def fail(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.loc(node), dotted(path), message))

    def read(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _STD + "seq":
                return self.bad_tag(node, path)
            items = []
            for i, child in enumerate(node.value):
                self.positions[path + (i,)] = self.loc(child)
                items.append(self.read(child, path + (i,)))
            return items
        if node.tag != _STD + "map":
            return self.bad_tag(node, path)
        return self.mapping(node, path)

    def scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        if "\x00" in node.value:  # only a quoted "\0" gets here; no path, name or value may hold one
            self.fail(node, path, "a NUL character (\\0) is not allowed in a recipe")
            return None
        if node.tag == _PLAIN:
            return plain_scalar(node.value)
        convert = _EXPLICIT.get(node.tag)
        if convert is None:
            return self.bad_tag(node, path)
        try:
            return convert(node.value)
        except (ValueError, KeyError):
            self.fail(node, path, f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}")
            return None

    def mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == _MERGE_KEY and key_node.tag in (_PLAIN, _STD + "merge"):
                if _MERGE_KEY in first_seen:
                    self.fail(key_node, path, f"duplicate key '<<' (first written on line {first_seen[_MERGE_KEY]}); merge several mappings with <<: [*a, *b]")
                    continue
                first_seen[_MERGE_KEY] = key_node.start_mark.line + 1
                merged.update(self.merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "a mapping key must be a plain name or number")
                continue
            key = self.scalar(key_node, path)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.fail(key_node, path, f"a mapping key must be a name or an integer, got {key_node.value!r}")
                continue
            if key in first_seen:
                self.fail(key_node, path + (key,), f"duplicate key {key!r} (first written on line {first_seen[key]})")
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.positions[path + (key,)] = self.loc(key_node)
            out[key] = self.read(value_node, path + (key,))
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def merge_sources(self, node: yaml.Node, path: KeyPath) -> dict[Any, Any]:
        """`<<: *anchor` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, path, "'<<' merges mappings only")
                continue
            for key, value in self.mapping(source, path).items():
                merged.setdefault(key, value)
        return merged

    def bad_tag(self, node: yaml.Node, path: KeyPath) -> None:
        tag = node.tag.replace(_STD, "!!")
        self.fail(node, path, f"tag {tag} is not allowed: recipes are read with a safe loader, remove the tag")
        return None


def parse_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, Location]]:
    """Parse one YAML document.

    Returns:
        The data (dicts, lists, str, int, float, bool, None) and each path's location.

    Raises:
        RecipeError: syntax errors, disallowed tags, duplicate keys, several documents.
    """
    try:
        nodes = list(yaml.compose_all(text, Loader=_NodeLoader))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        raise RecipeError([Problem(Location(source, line, col), "", f"character U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X} is not allowed in YAML text")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        lines = text.splitlines()
        written = lines[mark.line] if mark and mark.line < len(lines) else ""
        raise RecipeError([Problem(where, "", f"YAML syntax error: {message}{flow_list_hint(written)}")]) from None
    except yaml.YAMLError as exc:
        raise RecipeError([Problem(Location(source), "", f"YAML error: {exc}")]) from None
    if len(nodes) > 1:
        extra = nodes[1].start_mark
        where = Location(source, extra.line + 1, extra.column + 1)
        raise RecipeError([Problem(where, "", "a recipe is one YAML document; remove the second '---'")])
    if not nodes:
        return None, {}
    try:
        check_expansion(nodes[0])
    except TooLarge as exc:
        mark = exc.node.start_mark
        raise RecipeError([Problem(Location(source, mark.line + 1, mark.column + 1), "", str(exc))]) from None
    reader = _Reader(source)
    reader.positions[()] = reader.loc(nodes[0])
    data = reader.read(nodes[0], ())
    if reader.problems:
        raise RecipeError(reader.problems)
    return data, reader.positions


class _Dumper(yaml.SafeDumper):
    """Writes YAML that our 1.2 loader reads back to the same values."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else "'" if not isinstance(plain_scalar(value), str) else None
    return dumper.represent_scalar(_STD + "str", value, style=style)


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    """Lists of scalars on one line (`shape: [32, 32, 3]`), as recipes are written."""
    return dumper.represent_sequence(_STD + "seq", value, flow_style=all(map(_is_leaf, value)))


def _represent_dict(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.Node:
    """Short mappings of scalars on one line (`{type: Dense, units: 10}`), others as blocks."""
    flat = all(map(_is_leaf, value.values())) and len(str(value)) <= 80
    return dumper.represent_mapping(_STD + "map", value, flow_style=flat and bool(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def dump_yaml(data: Any) -> str:
    """YAML with keys in recipe order, leaf collections in flow style."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
