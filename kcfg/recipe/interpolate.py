"""`${...}` interpolation: recipe paths, environment variables, and the run's name and directory.

Keras's own placeholders (`{epoch:02d}`: one brace, no dollar) are not touched,
`$${...}` writes a literal `${...}`, and `${params.NAME}` inside `blocks:` is left for
each use of the block to fill in.
"""

from __future__ import annotations

import os
import re
from typing import Any

from kcfg.recipe.errors import KeyPath, Location, Problem, RecipeError, dotted, keep_secret
from kcfg.recipe.report import Report
from kcfg.recipe.yaml_io import plain_scalar

_REF = re.compile(r"\$(\$?)\{([^{}]*)\}")
#: Variables only known when a run starts; left as written until then.
RUN_VARIABLES = ("run_dir", "timestamp")
#: `${params.NAME}`: a block's parameter, filled in where the block is used, not here.
PARAMS = "params."
#: References resolving through references: real recipes chain a few.
MAX_REFERENCE_DEPTH = 64
#: Characters one interpolated string may reach (`${a}${a}...` doubling at each level).
MAX_STRING = 1_000_000


def interpolate(data: dict[str, Any], positions: dict[KeyPath, Location], variables: dict[str, str]) -> dict[str, Any]:
    """Resolve every `${...}` in `data`.

    Args:
        data: the merged recipe.
        positions: where each path was written, for error messages.
        variables: `name`, and `run_dir` / `timestamp` when a run has them.

    Returns:
        A new recipe; a string that is exactly one `${path}` takes the referenced value's type.

    Raises:
        RecipeError: unknown paths, unset environment variables, reference cycles.
    """
    problems: list[Problem] = []
    resolving: list[KeyPath] = []
    resolved: dict[KeyPath, Any] = {}  # each referenced path is resolved (or fails) once, however often it is used
    failed: dict[KeyPath, LookupError] = {}
    where = Report(positions, "<recipe>").where

    def lookup(ref: str, at: KeyPath) -> Any:
        if ref.startswith("env:"):
            name, _, default = ref[4:].partition(",")
            value = os.environ.get(name.strip())
            if value is not None:
                keep_secret(name.strip(), value)
                return value
            if default or "," in ref:
                return default.strip()
            raise LookupError(f"environment variable {name.strip()!r} is not set (write ${{env:{name.strip()},default}} to give a default)")
        if ref in variables:
            return variables[ref]
        target: KeyPath = tuple(int(p) if p.isdigit() else p for p in ref.split("."))
        node: Any = data
        for part in target:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                raise LookupError(f"${{{ref}}} names nothing in the recipe")
        if target in resolved:
            return resolved[target]
        if target in failed:
            raise failed[target]
        if target in resolving:
            cycle = " -> ".join(dotted(p) for p in resolving[resolving.index(target):] + [target])
            raise LookupError(f"interpolation cycle: {cycle}")
        if len(resolving) >= MAX_REFERENCE_DEPTH:
            raise LookupError(f"references lead through more than {MAX_REFERENCE_DEPTH} other references; refer to the value itself")
        resolving.append(target)
        try:
            resolved[target] = walk(node, target)
        except LookupError as exc:
            failed[target] = exc
            raise
        finally:
            resolving.pop()
        return resolved[target]

    def substitute(text: str, path: KeyPath) -> Any:
        whole = _REF.fullmatch(text)
        if whole and not whole.group(1) and whole.group(2).strip() not in RUN_VARIABLES and not whole.group(2).strip().startswith(PARAMS):
            ref = whole.group(2).strip()
            value = lookup(ref, path)
            return plain_scalar(value) if ref.startswith("env:") else value

        def one(match: re.Match[str]) -> str:
            ref = match.group(2).strip()
            if ref.startswith(PARAMS):
                if path[:1] == ("blocks",):
                    return match.group(0)  # the block's use fills it in (kcfg/recipe/blocks.py)
                if not match.group(1):
                    raise LookupError(f"${{{ref}}} is a block parameter: it means something only inside `blocks:`")
            if match.group(1):
                return match.group(0)[1:]
            if ref in RUN_VARIABLES and ref not in variables:
                return match.group(0)
            return str(lookup(ref, path))

        result = _REF.sub(one, text)
        if len(result) > MAX_STRING:
            raise LookupError(f"interpolation makes a string of {len(result):,} characters (at most {MAX_STRING:,})")
        return result

    def walk(node: Any, path: KeyPath) -> Any:
        if isinstance(node, dict):
            return {key: walk(value, path + (key,)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, path + (i,)) for i, value in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            try:
                return substitute(node, path)
            except LookupError as exc:
                problem = Problem(where(path), dotted(path), str(exc.args[0]))
                if problem not in problems:
                    problems.append(problem)
                return node
        return node

    result = walk(data, ())
    if problems:
        raise RecipeError(problems)
    return result
