"""Reading a recipe file with its `extends` bases, and applying `--set` / `--unset` overrides."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

from kcfg.recipe.errors import KeyPath, Location, Problem, RecipeError, dotted
from kcfg.recipe.yaml_io import parse_yaml

Positions = dict[KeyPath, Location]
#: `$patch: replace` in a mapping of a recipe that `extends` another: replace the base's mapping instead of merging.
PATCH = "$patch"
#: Keys that say what kind of thing a mapping is; when a child changes one, its mapping replaces the base's.
TAGS = ("source", "type")
_SEGMENT = re.compile(r"([^\[\]]*)((?:\[\d+\])*)")


def read_file(file: Path) -> tuple[Any, Positions]:
    """Parse one YAML file; unreadable files become a one-line problem."""
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError([Problem(Location(source), "", "no such file")]) from None
    except IsADirectoryError:
        raise RecipeError([Problem(Location(source), "", "is a directory, not a recipe file")]) from None
    except UnicodeDecodeError as exc:
        raise RecipeError([Problem(Location(source), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise RecipeError([Problem(Location(source), "", f"cannot read: {exc.strerror}")]) from None
    return parse_yaml(text, source)


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; lists and scalars replace; a `null` in `over` removes the key.

    A mapping of `over` replaces the base's whole when it says `$patch: replace`, or when
    it changes what kind of thing the mapping is (its `source:` or `type:`): a child that
    swaps a synthetic source for an npz file must not keep the base's `samples:`.
    """
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    if over.get(PATCH) == "replace" or any(tag in over and tag in base and over[tag] != base[tag] for tag in TAGS):
        return over
    merged = dict(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def without_patches(data: Any, positions: Positions, path: KeyPath = ()) -> Any:
    """`data` with its `$patch:` keys taken out, once every merge is done; a value other than `replace` is an error."""
    if isinstance(data, list):
        return [without_patches(item, positions, path + (i,)) for i, item in enumerate(data)]
    if not isinstance(data, dict):
        return data
    if PATCH in data and data[PATCH] != "replace":
        at = path + (PATCH,)
        raise RecipeError([Problem(positions.get(at, Location("<recipe>")), dotted(at), f"`{PATCH}:` takes `replace` (use this mapping as written instead of merging it into the base's), got {data[PATCH]!r}")])
    return {key: without_patches(value, positions, path + (key,)) for key, value in data.items() if key != PATCH}


def load_with_bases(file: Path, _chain: tuple[Path, ...] = (), *, confine: Path | None = None) -> tuple[dict[str, Any], Positions]:
    """Read `file` and deep-merge it over the recipes it `extends`, recursively.

    Positions of the merged result point into whichever file each value came from. With
    `confine` (--safe), bases must lie inside that folder.
    """
    data, positions = read_file(file)
    if data is None:
        raise RecipeError([Problem(Location(str(file)), "", "the recipe is empty")])
    if not isinstance(data, dict):
        where = positions[()]
        raise RecipeError([Problem(where, "", f"a recipe is a mapping (model:, compile:, fit: ...), not a {type(data).__name__}")])
    extends = data.pop("extends", None)
    if extends is None:
        return data, positions
    bases = [extends] if isinstance(extends, str) else extends
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise RecipeError([Problem(positions[("extends",)], "extends", "expected a path or a list of paths")])
    merged: dict[str, Any] = {}
    merged_positions: Positions = {}
    problems: list[Problem] = []
    for i, base in enumerate(bases):
        key_path: KeyPath = ("extends",) if isinstance(extends, str) else ("extends", i)
        base_file = Path(os.path.normpath(file.parent / base))
        chain = (*_chain, file)
        try:
            real = base_file.resolve()
        except (OSError, RuntimeError) as exc:  # a symbolic-link loop
            problems.append(Problem(positions[key_path], dotted(key_path), f"base recipe {base!r} cannot be read: {exc}"))
            continue
        if any(real == seen.resolve() for seen in chain):
            cycle = " -> ".join(str(p) for p in (*chain, base_file))
            problems.append(Problem(positions[key_path], dotted(key_path), f"extends cycle: {cycle}"))
            continue
        if confine is not None and not real.is_relative_to(confine.resolve()):
            problems.append(Problem(positions[key_path], dotted(key_path), f"refused in --safe mode (KCFG_SAFE=1): bases are read only from the recipe's folder ({confine})"))
            continue
        if not base_file.is_file():
            problems.append(Problem(positions[key_path], dotted(key_path), f"base recipe {base!r} not found (looked for {base_file})"))
            continue
        base_data, base_positions = load_with_bases(base_file, chain, confine=confine)
        merged = deep_merge(merged, base_data)
        merged_positions.update(base_positions)
    if problems:
        raise RecipeError(problems)
    merged_positions.update(positions)
    return deep_merge(merged, data), merged_positions


def parse_override_path(text: str) -> KeyPath:
    """`callbacks[0].patience` or `callbacks.0.patience` -> ('callbacks', 0, 'patience')."""
    parts: list[str | int] = []
    for piece in text.split("."):
        match = _SEGMENT.fullmatch(piece)
        if match is None or not piece:
            raise ValueError(f"bad path {text!r}: write keys separated by dots, e.g. fit.epochs")
        name, indices = match.groups()
        if name:
            parts.append(int(name) if name.isdigit() else name)
        parts.extend(int(i) for i in re.findall(r"\d+", indices))
    return tuple(parts)


def _container_at(data: dict[str, Any], path: KeyPath, create: bool) -> Any:
    node: Any = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict):
            key = _dict_key(node, part)
            if key not in node:
                if not create:
                    raise LookupError(part)
                node[key] = {}
            node = node[key]
        else:
            raise LookupError(part)
    return node


def _dict_key(node: dict[Any, Any], part: str | int) -> str | int:
    """A digit segment names an int key (class_weight: {0: 1.0}) unless a string key matches."""
    if isinstance(part, int) and part not in node and str(part) in node:
        return str(part)
    return part


def apply_overrides(data: dict[str, Any], positions: Positions, sets: list[str], unsets: list[str]) -> dict[str, Any]:
    """Apply `--set path=value` (value parsed as YAML) and `--unset path` to a copy of `data`."""
    data = copy.deepcopy(data)
    problems: list[Problem] = []
    for assignment in sets:
        where = Location(f"--set {assignment}")
        text, sep, value_text = assignment.partition("=")
        try:
            if not sep:
                raise ValueError("expected path=value, e.g. fit.epochs=3")
            path = parse_override_path(text.strip())
            value, value_positions = parse_yaml(value_text, where.source)
            parent = _container_at(data, path[:-1], create=True)
            if isinstance(parent, list):
                if not isinstance(path[-1], int) or path[-1] >= len(parent):
                    raise ValueError(f"{dotted(path)}: list index out of range")
                parent[path[-1]] = value
            elif isinstance(parent, dict):
                parent[_dict_key(parent, path[-1])] = value
            else:
                raise ValueError(f"{dotted(path[:-1])} is {parent!r}, not a mapping")
        except RecipeError as exc:
            problems.extend(exc.problems)
            continue
        except (ValueError, LookupError) as exc:
            problems.append(Problem(where, "", str(exc)))
            continue
        positions[path] = where
        for sub in value_positions:
            positions[path + sub] = where
    for text in unsets:
        where = Location(f"--unset {text}")
        try:
            path = parse_override_path(text.strip())
            parent = _container_at(data, path[:-1], create=False)
            if isinstance(parent, dict) and _dict_key(parent, path[-1]) in parent:
                del parent[_dict_key(parent, path[-1])]
            elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
                del parent[path[-1]]
            else:
                raise LookupError(path[-1])
        except ValueError as exc:
            problems.append(Problem(where, "", str(exc)))
        except LookupError:
            problems.append(Problem(where, "", f"the recipe has no {text.strip()!r} to unset"))
    if problems:
        raise RecipeError(problems)
    return data
