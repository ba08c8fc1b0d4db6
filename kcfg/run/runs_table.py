"""`kcfg runs`: every run directory under a folder as one row. Reads files only; no TensorFlow."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kcfg.recipe.errors import RecipeError
from kcfg.recipe.yaml_io import parse_yaml
from kcfg.run.run_dir import RunDir, RunDirError


@dataclass
class RunRow:
    """One run as `kcfg runs` lists it: the last epoch's metrics, split into train and validation."""

    run: str  # its folder, relative to the folder listed
    path: Path
    name: str  # the recipe's name
    status: str
    epochs: int
    planned_epochs: int | None
    started: str
    train: dict[str, float] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "path": str(self.path), "name": self.name, "status": self.status, "epochs": self.epochs,
            "planned_epochs": self.planned_epochs, "started": self.started, "train": self.train, "validation": self.validation, "test": self.test,
        }


def find_runs(root: Path) -> list[RunDir]:
    """Run directories (folders with a manifest.json) under `root`, or `root` itself, in path order."""
    if (root / "manifest.json").is_file():
        return [RunDir(root)]
    found = []
    for folder, subfolders, files in os.walk(root):
        if "manifest.json" in files:
            found.append(RunDir(Path(folder)))
            subfolders.clear()  # a run's own folders (checkpoints, tensorboard) hold no runs
        subfolders.sort()
    return sorted(found, key=lambda run: run.path)


def recipe_of(run: RunDir) -> dict[str, Any]:
    """The resolved recipe the run saved (empty if it never got that far)."""
    try:
        data, _ = parse_yaml((run.path / "recipe.yaml").read_text(encoding="utf-8"), str(run.path / "recipe.yaml"))
    except (OSError, RecipeError):  # a run killed before writing it, or a file edited by hand: list the run all the same
        return {}
    return data if isinstance(data, dict) else {}


def run_name(run: RunDir, manifest: dict[str, Any], recipe: dict[str, Any]) -> str:
    if isinstance(recipe.get("name"), str):
        return str(recipe["name"])
    return Path(str(manifest.get("recipe", run.path.name))).stem


def run_row(run: RunDir, root: Path) -> RunRow:
    """One run's row: status and epochs from the manifest, metrics from the last row of history.csv.

    Raises:
        RunDirError: the manifest cannot be read.
    """
    manifest = run.manifest()
    recipe = recipe_of(run)
    history = run.history()
    last = history[-1] if history else {}
    fit = recipe.get("fit") if isinstance(recipe.get("fit"), dict) else {}
    planned = fit.get("epochs", 1) if isinstance(fit, dict) else None
    started = str(manifest.get("started", ""))
    try:
        started = datetime.fromisoformat(started).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        pass
    relative = os.path.relpath(run.path, root) if run.path != root else run.path.name
    return RunRow(
        relative, run.path, run_name(run, manifest, recipe), str(manifest.get("status", "unknown")), int(manifest.get("epochs_completed", 0)),
        planned if isinstance(planned, int) else None, started,
        {k: v for k, v in last.items() if k != "epoch" and not k.startswith("val_")},
        {k[4:]: v for k, v in last.items() if k.startswith("val_")},
        dict(run.metrics().get("test", {})),
    )


def run_rows(root: Path) -> tuple[list[RunRow], list[str]]:
    """Rows of every run under `root`, and a note for each folder whose manifest cannot be read."""
    rows, notes = [], []
    for run in find_runs(root):
        try:
            rows.append(run_row(run, root))
        except RunDirError as exc:
            notes.append(str(exc))
    return rows, notes


def metrics_text(metrics: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items()))


def runs_text(rows: list[RunRow]) -> str:
    """Aligned plain-text columns (no box drawing, so logs and `grep` read it as well as people)."""
    header = ["RUN", "NAME", "STATUS", "EPOCHS", "STARTED", "TRAIN", "VALIDATION"]
    with_test = any(row.test for row in rows)
    if with_test:
        header.append("TEST")
    table = [header]
    for row in rows:
        epochs = f"{row.epochs}/{row.planned_epochs}" if row.planned_epochs is not None else str(row.epochs)
        cells = [row.run, row.name, row.status, epochs, row.started, metrics_text(row.train), metrics_text(row.validation)]
        table.append(cells + ([metrics_text(row.test)] if with_test else []))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table) + "\n"
