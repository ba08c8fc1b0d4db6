"""`kcfg diff`: what differs between two recipes or runs: resolved keys, then metrics. No TensorFlow."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcfg.recipe import dotted, load_recipe
from kcfg.run.run_dir import RunDir
from kcfg.run.runs_table import recipe_of


@dataclass
class Side:
    """One side of a comparison: its resolved recipe as dotted keys, and its metrics if it is a run."""

    label: str
    keys: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)


def flat(data: Any, path: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """`{'fit': {'epochs': 3}, 'callbacks': [{...}]}` -> `{'fit.epochs': 3, 'callbacks[0].monitor': ...}`.

    A list of plain values (a shape, a list of metrics) stays one value.
    """
    if isinstance(data, dict) and data:
        return {k: v for key, value in data.items() for k, v in flat(value, (*path, key)).items()}
    if isinstance(data, list) and any(isinstance(item, (dict, list)) for item in data):
        return {k: v for i, value in enumerate(data) for k, v in flat(value, (*path, i)).items()}
    return {dotted(path): data}


def _run_dir_back(value: Any, run_dir: str) -> Any:
    """A run's recipe.yaml has its own folder where the recipe said `${run_dir}`: put the variable back."""
    if isinstance(value, str) and run_dir:
        return value.replace(run_dir, "${run_dir}")
    return value


def diff_side(target: Path, *, safe: bool = False) -> Side:
    """A run directory (its saved recipe.yaml and metrics.json) or a recipe file (resolved as `kcfg show` prints it).

    Raises:
        RecipeError: the recipe file is invalid.
        RunDirError: a folder that is not a run.
    """
    if target.is_dir():
        run = RunDir(target)
        manifest = run.manifest()
        run_dir = str(manifest.get("run_dir", ""))
        keys = {key: _run_dir_back(value, run_dir) for key, value in flat(recipe_of(run)).items()}
        metrics = {f"{section}.{name}": float(value) for section, values in run.metrics().items() if isinstance(values, dict) for name, value in values.items()}
        return Side(str(target), keys, metrics)
    return Side(str(target), flat(load_recipe(target, safe=safe).data))


def _text(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, float) else f"{value:g}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_lines(a: Side, b: Side) -> list[str]:
    """`~ key: old -> new`, `+ key: value`, `- key: value`, then `metric: a -> b (+delta)` for metrics both runs have."""
    lines = []
    for key in [*a.keys, *(k for k in b.keys if k not in a.keys)]:
        if key in a.keys and key in b.keys:
            if a.keys[key] != b.keys[key]:
                lines.append(f"~ {key}: {_text(a.keys[key])} -> {_text(b.keys[key])}")
        elif key in b.keys:
            lines.append(f"+ {key}: {_text(b.keys[key])}")
        else:
            lines.append(f"- {key}: {_text(a.keys[key])}")
    changed = sum(line.startswith("~") for line in lines)
    added = sum(line.startswith("+") for line in lines)
    header = [f"--- {a.label}", f"+++ {b.label}", f"recipe: {changed} changed, {added} added, {len(lines) - changed - added} removed"]
    shared = [name for name in a.metrics if name in b.metrics]
    metrics = [f"  {name}: {a.metrics[name]:.4f} -> {b.metrics[name]:.4f} ({b.metrics[name] - a.metrics[name]:+.4f})" for name in shared]
    return header + lines + (["metrics:", *metrics] if metrics else [])
