"""`kcfg tune`: a hyperparameter search over a recipe's `tune.space` (RECIPE.md section 12).

The search directory holds `search.json` (what was asked), `tuner/` (KerasTuner's Oracle
state, which `--resume` reloads), `trials/<id>/` (one run directory per trial),
`trials.csv` and `best.yaml`. KerasTuner is an optional dependency: `pip install 'kcfg[tune]'`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from kcfg.files import write_atomically
from kcfg.recipe import LoadedRecipe, Problem, load_recipe
from kcfg.run.run_dir import new_timestamp, runs_of
from kcfg.run.search_results import TrialRow, best_row, trial_rows, write_best_yaml, write_trials_csv
from kcfg.run.training import TrainingRequest

SEARCH_JSON = "search.json"
#: KerasTuner's distributed mode: set on the chief and every worker (KerasTuner reads them).
DISTRIBUTED_VARIABLES = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


class TuneError(Exception):
    """A search that cannot start as asked (no tune section, KerasTuner missing, nothing to resume)."""


class SearchFailed(Exception):
    """The search ran but no trial completed, or too many failed in a row: exit code 1."""


class SearchInterrupted(Exception):
    """Ctrl-C during a search; `--resume --run-dir directory` continues it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"interrupted; continue with --resume --run-dir {directory}")
        self.directory = directory


@dataclass
class TuneRequest(TrainingRequest):
    """What `kcfg tune` was asked: `kcfg train`'s options, for the search directory, and how to show progress."""

    quiet: bool = field(default_factory=lambda: not sys.stdout.isatty())


@dataclass
class SearchOutcome:
    """What the search left: its folder, its trials and the best one."""

    directory: Path
    metric: str
    rows: list[TrialRow]
    best: TrialRow | None
    worker: bool


def distributed_role() -> str | None:
    """`chief`, `worker` or None, from KerasTuner's environment variables."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return None
    return "chief" if "chief" in os.environ.get("KERASTUNER_TUNER_ID", "") else "worker"


def open_search(request: TuneRequest) -> tuple[LoadedRecipe, Path, TuneRequest]:
    """The recipe, the search directory and the overrides to use (a resumed search keeps its own).

    Raises:
        RecipeError: the recipe is invalid.
        TuneError: no tune section; the directory exists (without --resume) or holds no search (with it).
    """
    loaded = load_recipe(request.recipe, sets=request.sets, unsets=request.unsets, safe=request.safe)
    if loaded.recipe.tune is None:
        raise TuneError(f"{request.recipe} has no tune section: add tune: {{objective: ..., space: ...}} (RECIPE.md section 12)")
    role = distributed_role()
    if role is not None and request.run_dir is None:
        raise TuneError("a distributed search (KERASTUNER_ORACLE_IP is set) needs --run-dir: one folder the chief and every worker reach")
    if request.resume:
        directory = request.run_dir or newest_search(loaded)
        stored = read_search(directory)
        if not request.sets and not request.unsets and (stored["sets"] or stored["unsets"]):
            request = replace(request, sets=stored["sets"], unsets=stored["unsets"])
            loaded = load_recipe(request.recipe, sets=request.sets, unsets=request.unsets, safe=request.safe)
        return loaded, directory, request
    directory = request.run_dir or Path(loaded.run_dir(new_timestamp()))
    # workers may have started first and made their own tuner/ files: a chief finds a search by its search.json
    taken = (directory / SEARCH_JSON).exists() if role == "chief" else directory.exists() and any(directory.iterdir())
    if role != "worker" and taken:
        if not request.overwrite:
            raise TuneError(f"search directory {directory} exists; use --resume to continue it or --overwrite to replace it")
        shutil.rmtree(directory)
    if role != "worker":
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / SEARCH_JSON, json.dumps({
            "recipe": str(request.recipe.resolve()), "sets": request.sets, "unsets": request.unsets, "command": request.argv,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }, indent=2) + "\n")
    return loaded, directory, request


def read_search(directory: Path) -> dict[str, list[str]]:
    try:
        stored = json.loads((directory / SEARCH_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise TuneError(f"{directory} holds no search to continue (no readable {SEARCH_JSON})") from None
    return {"sets": list(stored.get("sets", [])), "unsets": list(stored.get("unsets", []))}


def newest_search(loaded: LoadedRecipe) -> Path:
    found = runs_of(loaded.run_dir(), marker=SEARCH_JSON)
    if not found:
        raise TuneError(f"no search to continue matches {loaded.run_dir()}; give --run-dir")
    return found[-1].path


def run_search(request: TuneRequest, notes: Callable[[list[Problem]], None]) -> SearchOutcome:
    """Run (or continue) the search; trials.csv and best.yaml are rewritten after every trial.

    Raises:
        RecipeError: the recipe is invalid.
        TuneError: as `open_search`, or KerasTuner is missing.
        SearchFailed: no trial completed, or too many failed in a row.
        SearchInterrupted: Ctrl-C; the running trial is marked interrupted and --resume continues it.
    """
    try:
        import keras_tuner  # noqa: F401 - only to say how to get it
    except ImportError:
        raise TuneError("kcfg tune needs KerasTuner: pip install 'kcfg[tune]'") from None
    from kcfg.run.recipe_tuner import RecipeTuner, SearchPlan

    loaded, directory, request = open_search(request)
    notes(loaded.warnings)
    plan = SearchPlan(loaded, directory, request.sets, request.unsets, request.safe, request.argv, request.quiet, notes)
    tune_ = plan.tune

    def write_results(tuner: RecipeTuner) -> None:
        rows = trial_rows(tuner.oracle, tune_, plan.trial_path)
        write_trials_csv(directory, rows, tune_)
        best = best_row(rows, plan.direction)
        if best is not None:
            write_best_yaml(directory, best, tune_.objective.metric, request.safe)

    tuner = RecipeTuner(plan, on_trial_end=write_results)
    try:
        tuner.search(verbose=0 if plan.quiet else 1)
    except KeyboardInterrupt:
        raise SearchInterrupted(directory) from None
    except RuntimeError as exc:  # KerasTuner's Oracle stops a search whose trials keep failing
        if "consecutive failures" not in str(exc):
            raise
        raise SearchFailed(str(exc).splitlines()[0] + f"; see {directory / 'trials.csv'} and the trials' manifests") from None
    metric = tune_.objective.metric
    if tuner.is_worker:
        return SearchOutcome(directory, metric, [], None, worker=True)
    write_results(tuner)
    rows = trial_rows(tuner.oracle, tune_, plan.trial_path)
    best = best_row(rows, plan.direction)
    if best is None:
        raise SearchFailed(f"no trial completed; see {directory / 'trials.csv'}")
    return SearchOutcome(directory, metric, rows, best, worker=False)
