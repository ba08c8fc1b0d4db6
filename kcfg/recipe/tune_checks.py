"""Static checks of `tune`: each space path names a value of the recipe and fits its type; the objective is logged."""

from __future__ import annotations

from typing import Any

from kcfg.recipe.merge import parse_override_path
from kcfg.recipe.schema import ChoiceRange, FloatRange, IntRange, SpaceRange, Tune, objective_direction
from kcfg.recipe.section_checks import SectionChecker
from kcfg.recipe.suggest import did_you_mean
from kcfg.recipe.validation import describe

_MISSING = object()


def value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    """The value at a `--set` path of resolved recipe data, or `_MISSING`; also the keys beside the missing one."""
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, int) and str(part) in node:
            node = node[str(part)]
        else:
            return _MISSING
    return node


def _keys_near(data: Any, path: tuple[str | int, ...]) -> list[str]:
    """The keys of the deepest mapping on `path`, for a 'did you mean'."""
    node, keys = data, []
    for part in path:
        if isinstance(node, dict):
            keys = [str(k) for k in node]
            if part not in node:
                break
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    return keys


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fits(candidate: Any, current: Any) -> bool:
    """Whether a candidate may replace the recipe's value: numbers for numbers (whole for whole),
    names or `{type: ...}` objects for either, and otherwise the same kind."""
    if current is None:
        return True
    if _is_number(current):
        return _is_number(candidate) and (isinstance(current, float) or isinstance(candidate, int))
    if isinstance(current, (str, dict)):
        return isinstance(candidate, (str, dict)) and not isinstance(candidate, bool)
    return type(candidate) is type(current)


class TuneChecker:
    """Checks the `tune` section against the rest of the recipe (its resolved data and logged metrics)."""

    def __init__(self, sections: SectionChecker, data: dict[str, Any]) -> None:
        self.sections = sections
        self.report = sections.report
        self.data = data

    def check_all(self) -> None:
        tune = self.sections.recipe.tune
        if tune is None:
            return
        self.check_objective(tune)
        for text, spec in tune.space.items():
            self.check_space_entry(text, spec, tune)
        self.check_nesting(list(tune.space))

    def check_nesting(self, texts: list[str]) -> None:
        """A path inside another searched path would be set on a value the other may have replaced."""
        paths = {}
        for text in texts:
            try:
                paths[text] = parse_override_path(text)
            except ValueError:
                continue  # reported with its entry
        for inner, path in paths.items():
            for outer, prefix in paths.items():
                if inner != outer and path[: len(prefix)] == prefix:
                    self.report.error(("tune", "space", inner), f"{inner!r} lies inside {outer!r}, which the search also sets: search one of them, or write the inner values into the choices of {outer!r}")

    def check_objective(self, tune: Tune) -> None:
        path = ("tune", "objective", "metric")
        metric = tune.objective.metric
        logged = sorted(self.sections.logged_names())
        validation = self.sections.has_validation()
        names = [*logged, *(f"val_{n}" for n in logged if validation)]
        if metric.startswith("val_") and metric.removeprefix("val_") in logged and not validation:
            self.report.error(path, f"{metric!r} needs validation data: give data.validation or fit.validation_split")
        elif metric not in names:
            self.report.error(path, f"{metric!r} is not a metric this recipe logs ({', '.join(names)}){did_you_mean(metric, names)}")
        elif objective_direction(tune.objective) is None:
            self.report.error(("tune", "objective"), f"give direction: min or max (the name {metric!r} does not say which is better)")

    def check_space_entry(self, text: str, spec: SpaceRange, tune: Tune) -> None:
        at = ("tune", "space", text)
        try:
            path = parse_override_path(text)
        except ValueError as exc:
            self.report.error(at, str(exc))
            return
        if path[:1] == ("tune",):
            self.report.error(at, "the search cannot change its own tune section")
            return
        if tune.algorithm == "hyperband" and path == ("fit", "epochs"):
            self.report.error(at, "hyperband sets fit.epochs of each trial itself; search other values")
            return
        current = value_at(self.data, path)
        if current is _MISSING:
            near = _keys_near(self.data, path)
            self.report.error(at, f"{text!r} names no value of the recipe: write the value the search starts from{did_you_mean(str(path[-1]), near)}")
            return
        if isinstance(spec, IntRange):
            self.check_bounds(at, spec.int, spec.sampling)
            if not (_is_number(current) and isinstance(current, int)):
                self.report.error(at, f"an int range needs a whole number, but the recipe has {describe(current)} there; use float or choice")
        elif isinstance(spec, FloatRange):
            self.check_bounds(at, spec.float, spec.sampling)
            if not _is_number(current):
                self.report.error(at, f"a float range needs a number, but the recipe has {describe(current)} there; use choice")
            elif isinstance(current, int):
                self.report.error(at, f"the recipe has the whole number {current} there: use an int range, or write {float(current)} there to search numbers")
        elif isinstance(spec, ChoiceRange):
            for i, candidate in enumerate(spec.choice):
                if not fits(candidate, current):
                    self.report.error(at + ("choice", i), f"{describe(candidate)} cannot replace the recipe's {describe(current)}", key=at)

    def check_bounds(self, at: tuple[str, ...], bounds: list[int] | list[float], sampling: str) -> None:
        low, high = bounds
        if low > high:
            self.report.error(at, f"the range [{low}, {high}] is empty: write the lower bound first")
        elif sampling != "linear" and low <= 0:
            self.report.error(at, f"{sampling} sampling needs a lower bound above 0, got {low}")
