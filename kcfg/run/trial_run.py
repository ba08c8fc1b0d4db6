"""One training of one search trial: a normal run directory, trained by `Training` with the trial's overrides.

A search that was killed and resumed does not start a trial's training again: a run that
completed is read back, one that was cut off continues from its last completed epoch.
A Hyperband trial that continues another starts from a copy of that trial's run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from kcfg.recipe import Problem
from kcfg.run.run_dir import RunDir, RunDirError
from kcfg.run.training import Training, TrainingRequest

#: Keras's per-epoch lines are left out of a search's logs, which show one line per trial.
QUIET_FIT = "fit.verbose=0"


@dataclass
class TrialTraining:
    """Where and how one execution of a trial trains."""

    recipe: Path
    path: Path
    sets: list[str]
    unsets: list[str]
    safe: bool
    argv: list[str]
    warm_start: Path | None = None  # Hyperband: the run this trial continues

    @property
    def overrides(self) -> list[str]:
        """What the run's manifest records, as `Training` writes it."""
        return [*self.sets, *(f"~{u}" for u in self.unsets)]

    def same_trial(self, run: RunDir) -> bool:
        """Whether a run directory already holds this training (the verbosity aside)."""
        recorded = set(run.manifest().get("overrides", [])) - {QUIET_FIT}
        return recorded == set(self.overrides) - {QUIET_FIT}

    def train(self, notes: Callable[[list[Problem]], None]) -> RunDir:
        """Train (or finish, or reuse) this trial's run; returns it with history.csv written.

        Raises:
            RecipeError, FeedError, TrainingFailed: as `Training.run` does.
        """
        resume = False
        if (self.path / "manifest.json").is_file():
            run = RunDir(self.path)
            if self.same_trial(run):
                if run.manifest().get("status") == "completed":
                    return run
                resume = True
        elif self.warm_start is not None:
            self.copy_warm_start()
            resume = True
        keras.backend.clear_session()  # models of earlier trials would pile up in this process
        request = TrainingRequest(self.recipe, self.sets, self.unsets, self.safe, self.path, resume=resume, overwrite=not resume, argv=self.argv)
        run, _ = Training.open(request).run(notes=notes)
        return run

    def copy_warm_start(self) -> None:
        """Start from the run this Hyperband trial continues: its weights, history and epoch count."""
        if self.warm_start is None or not RunDir(self.warm_start).manifest_file.is_file():
            raise RunDirError(f"the trial to continue, {self.warm_start}, has no run")
        shutil.copytree(self.warm_start, self.path)
        RunDir(self.path).update_manifest(overrides=self.overrides, status="running")


def best_epoch_value(history: list[dict[str, Any]], metric: str, direction: str) -> float | None:
    """The objective's best value over a run's epochs, as KerasTuner scores a Keras History."""
    values = [row[metric] for row in history if metric in row]
    if not values:
        return None
    return max(values) if direction == "max" else min(values)
