"""One error type for every recipe problem, carrying file, line, column and dotted key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

KeyPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: a file position, or a command-line override."""

    source: str
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based

    def __str__(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}:{self.col}"


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
            prefix += f"{self.key}: "
        if self.severity == "warning":
            prefix += "warning: "
        return prefix + self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.source,
            "line": self.location.line,
            "col": self.location.col,
            "key": self.key,
            "message": self.message,
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
