"""What a search leaves besides its trials: `trials.csv` (one row per trial) and `best.yaml`."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcfg.files import write_atomically
from kcfg.recipe import dump_yaml, load_recipe
from kcfg.recipe.schema import Tune
from kcfg.run.run_dir import RunDir
from kcfg.run.search_space import trial_values
from kcfg.run.trial_run import QUIET_FIT

TRIALS_CSV = "trials.csv"
BEST_YAML = "best.yaml"


@dataclass(frozen=True)
class TrialRow:
    """One trial as `trials.csv` shows it."""

    trial_id: str
    status: str  # completed, failed, running
    values: dict[str, Any]
    epochs: int | None  # Hyperband's epochs for this trial
    score: float | None
    run: Path

    def as_csv(self, tune: Tune) -> dict[str, Any]:
        row: dict[str, Any] = {"trial": self.trial_id, "status": self.status}
        row.update({path: _cell(self.values.get(path)) for path in tune.space})
        if tune.algorithm == "hyperband":
            row["fit.epochs"] = self.epochs
        row[tune.objective.metric] = "" if self.score is None else self.score
        row["run"] = str(self.run)
        return row


def _cell(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def trial_rows(oracle: Any, tune: Tune, trial_path: Any) -> list[TrialRow]:
    """Every trial the Oracle knows, in order; `trial_path(id)` is where each one's run is."""
    rows = []
    for trial_id in sorted(oracle.trials):
        trial = oracle.trials[trial_id]
        values = trial.hyperparameters.values
        status = str(trial.status).lower()
        epochs = values.get("tuner/epochs")
        rows.append(TrialRow(trial_id, "failed" if status == "invalid" else status, trial_values(values, tune), epochs, trial.score if status == "completed" else None, trial_path(trial_id)))
    return rows


def write_trials_csv(directory: Path, rows: list[TrialRow], tune: Tune) -> None:
    out = io.StringIO()
    records = [row.as_csv(tune) for row in rows]
    columns = list(records[0]) if records else ["trial", "status", *tune.space, tune.objective.metric, "run"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    write_atomically(directory / TRIALS_CSV, out.getvalue())


def best_row(rows: list[TrialRow], direction: str) -> TrialRow | None:
    scored = [row for row in rows if row.score is not None]
    if not scored:
        return None
    return (max if direction == "max" else min)(scored, key=lambda row: row.score or 0.0)


def write_best_yaml(directory: Path, best: TrialRow, metric: str, safe: bool) -> Path:
    """The resolved recipe of the best trial, trainable from where it is written.

    The trial's overrides come from its run's manifest (Hyperband's epochs and reseeded
    executions included). `tune` is left out, the name kept, and relative data and plugin
    file paths rewritten so they still point at the same files from `directory`.
    """
    manifest = RunDir(best.run).manifest()
    recorded = [o for o in manifest.get("overrides", []) if o != QUIET_FIT]
    recipe = Path(manifest["recipe"])
    loaded = load_recipe(recipe, sets=[o for o in recorded if not o.startswith("~")], unsets=[o[1:] for o in recorded if o.startswith("~")], safe=safe)
    data = relocated({"name": loaded.name, **{k: v for k, v in loaded.data.items() if k != "tune"}}, recipe.parent, directory)
    header = (
        f"# The best trial ({best.trial_id}, {metric}={best.score:.6g}) of a search over {recipe}\n"
        f"# Run: kcfg train {directory / BEST_YAML}\n"
    )
    path = directory / BEST_YAML
    write_atomically(path, header + dump_yaml(data))
    return path


def relocated(data: dict[str, Any], recipe_dir: Path, target_dir: Path) -> dict[str, Any]:
    """Relative data paths and plugin files, rewritten for a recipe that lives in `target_dir`."""
    data = copy.deepcopy(data)

    def moved(path: str) -> str:
        return path if os.path.isabs(path) else os.path.relpath(os.path.abspath(recipe_dir / path), os.path.abspath(target_dir))

    for source in (data.get("data") or {}).values():
        for key in ("path", "data_dir"):
            if isinstance(source, dict) and isinstance(source.get(key), str):
                source[key] = moved(source[key])
    if isinstance(data.get("plugins"), list):
        data["plugins"] = [moved(p) if isinstance(p, str) and p.endswith(".py") else p for p in data["plugins"]]
    return data
