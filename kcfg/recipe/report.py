"""Collects problems against recipe paths, turning each path into the place it was written."""

from __future__ import annotations

from kcfg.recipe.errors import KeyPath, Location, Problem, dotted


class Report:
    """All problems of one recipe, in the order found."""

    def __init__(self, positions: dict[KeyPath, Location], source: str) -> None:
        self.positions = positions
        self.source = source
        self.problems: list[Problem] = []
        self._said: set[tuple[Location, str, str]] = set()

    def where(self, path: KeyPath) -> Location:
        """The location of `path`, or of its nearest written parent."""
        while path and path not in self.positions:
            path = path[:-1]
        return self.positions.get(path, Location(self.source))

    def error(self, path: KeyPath, message: str, *, key: KeyPath | None = None) -> None:
        """Report at `path`'s location under the dotted name of `key` (default: `path`)."""
        self.add(Problem(self.where(path), dotted(path if key is None else key), message))

    def warn(self, path: KeyPath, message: str, *, key: KeyPath | None = None) -> None:
        self.add(Problem(self.where(path), dotted(path if key is None else key), message, "warning"))

    def add(self, problem: Problem) -> None:
        """Keep one of the same message at the same place: a block used three times has one wrong line, not three."""
        said = (problem.location, problem.message, problem.severity)
        if said not in self._said:
            self._said.add(said)
            self.problems.append(problem)

    def sorted(self) -> list[Problem]:
        """Problems in file order, so a reader can walk down the recipe."""
        return sorted(self.problems, key=lambda p: (p.location.source, p.location.line or 0, p.location.col or 0))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)
