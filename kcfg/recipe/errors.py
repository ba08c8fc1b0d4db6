"""One error type for every recipe problem, carrying file, line, column and dotted key."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

KeyPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Values that came from `${env:NAME}` -> how they are shown instead (`${env:NAME}`).
_SECRETS: dict[str, str] = {}
#: Shorter values, and plain numbers, would blank out ordinary words and figures.
MIN_SECRET_LENGTH = 4


def keep_secret(name: str, value: str) -> None:
    """Never print `value` (an environment variable's) again in this process: show `${env:NAME}` instead."""
    if len(value) >= MIN_SECRET_LENGTH and not value.replace(".", "", 1).isdigit():
        _SECRETS[value] = f"${{env:{name}}}"


def redacted(text: str) -> str:
    """`text` with every kept secret replaced by the reference it came from, longest first."""
    for value in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(value, _SECRETS[value])
    return text


def printable(text: str) -> str:
    """`text` safe to print as part of one line: secrets redacted, control characters
    (newlines, ANSI escapes, NUL) written as escapes, so no input can forge or colour a line."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], redacted(text))


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: a file position, or a command-line override."""

    source: str
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based

    def __str__(self) -> str:
        if self.line is None:
            return printable(self.source)
        return f"{printable(self.source)}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of output: `file:line:col: key: message`."""

    location: Location
    key: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = f"{self.location}: "
        if self.key:
            prefix += f"{printable(self.key)}: "
        if self.severity == "warning":
            prefix += "warning: "
        return prefix + printable(self.message)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.source,
            "line": self.location.line,
            "col": self.location.col,
            "key": redacted(self.key),
            "message": redacted(self.message),
            "severity": self.severity,
        }


class RecipeError(Exception):
    """All the problems found in one recipe, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PathProblem(Exception):
    """A problem found after validation (data that does not fit, a runtime the machine lacks),
    known by its recipe path; `located` places it in the file."""

    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path

    def located(self, where: Callable[[KeyPath], Location]) -> RecipeError:
        return RecipeError([Problem(where(self.path), dotted(self.path), str(self))])


def dotted(path: KeyPath) -> str:
    """`('model', 'layers', 'conv1')` -> `model.layers.conv1`; list indices as `[i]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
