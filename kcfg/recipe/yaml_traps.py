"""Python habits that YAML reads as something else, and the hint that says what to write instead.

`kernel_size: (3, 3)` is the string "(3, 3)", `scale: 1/255` the string "1/255", and an
unquoted `[enc[1], enc[2]]` is a YAML syntax error. Each would otherwise pass unnoticed
or fail late with a message about something else.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TUPLE = re.compile(rf"^\(\s*(?:(?:{_NUMBER}|None)\s*,\s*)*(?:{_NUMBER}|None)?\s*,?\s*\)$")
_TUPLE_HEAD = re.compile(rf"^\(\s*(?:{_NUMBER}|None)\s*$")
_TUPLE_TAIL = re.compile(rf"^\s*(?:{_NUMBER}|None)\s*\)?$")
_ARITHMETIC = re.compile(rf"^\s*\(?\s*{_NUMBER}\s*\)?(?:\s*(?:\*\*|[-+*/])\s*\(?\s*{_NUMBER}\s*\)?)+\s*$")
_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow,
}
#: A name with `[i]` inside a flow list, where YAML reads `[` as the start of a nested list.
_INDEXED_IN_FLOW = re.compile(r"[\[,{:]\s*(?P<name>[\w.]+\[\d+\])")


def _evaluate(node: ast.AST) -> float:
    """Numbers and + - * / ** only: the arithmetic a recipe author meant, never anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError("not plain arithmetic")


def tuple_tails(mapping: dict[Any, Any]) -> set[Any]:
    """Keys such as `3)`: what YAML's `{...}` makes of the rest of `kernel_size: (3, 3)`.

    They are reported once, on the value that starts the tuple, not as unknown keys.
    """
    if not any(isinstance(value, str) and _TUPLE_HEAD.match(value) for value in mapping.values()):
        return set()
    return {key for key in mapping if isinstance(key, int) or (isinstance(key, str) and _TUPLE_TAIL.match(key))}


def string_trap(text: str) -> str | None:
    """A hint when a string is a Python tuple or arithmetic that YAML kept as text."""
    if _TUPLE_HEAD.match(text):
        return f"{text!r} is the start of a Python tuple that YAML's {{...}} cut at its comma: write a list, [{text.strip()[1:].strip()}, ...]"
    if _TUPLE.match(text):
        items = [item.strip() for item in text.strip()[1:-1].split(",") if item.strip()]
        return f"{text!r} is a string in YAML, not a tuple: write a list, [{', '.join('null' if i == 'None' else i for i in items)}]"
    if _ARITHMETIC.match(text) and len(text) < 100:
        try:
            value = _evaluate(ast.parse(text.strip(), mode="eval").body)
        except (ValueError, SyntaxError, ZeroDivisionError, OverflowError):
            return None
        return f"{text!r} is a string in YAML, which does no arithmetic: write the number, {value!r}"
    return None


def flow_list_hint(line: str) -> str:
    """For a YAML syntax error on `line`: quote `name[i]` inside `[...]` or `{...}`."""
    found = _INDEXED_IN_FLOW.search(line)
    if found:
        return f"; inside [...] or {{...}}, quote a name with an index: '{found['name']}'"
    return ""
