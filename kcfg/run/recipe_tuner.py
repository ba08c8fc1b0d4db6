"""KerasTuner driving kcfg: its Oracle chooses each trial's values, kcfg's `Training` trains them.

This is KerasTuner's documented way to run trials its own way: subclass a tuner and
override `run_trial`, returning the objective. The Oracle (random, Bayesian, Hyperband)
and its saved state, the retries, the progress display and the distributed mode
(a chief Oracle and worker tuners through `KERASTUNER_*` variables) stay KerasTuner's.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras_tuner
from keras_tuner.engine.base_tuner import BaseTuner

from kcfg.recipe import LoadedRecipe, Problem, RecipeError
from kcfg.recipe.schema import Tune, objective_direction
from kcfg.run.feeding import FeedError
from kcfg.run.run_dir import RunDirError
from kcfg.run.search_space import hyperparameters, overrides, trial_values
from kcfg.run.train import TrainingFailed
from kcfg.run.trial_run import QUIET_FIT, TrialTraining, best_epoch_value

#: KerasTuner keeps its Oracle and trial states here, inside the search directory.
TUNER_FOLDER = "tuner"
TRIALS_FOLDER = "trials"
#: A trial trains the recipe without its search: its values may move paths the space names.
TRIAL_UNSETS = "tune"


@dataclass
class SearchPlan:
    """One search: the recipe, the overrides every trial starts from, and where trials go."""

    loaded: LoadedRecipe
    directory: Path
    sets: list[str]
    unsets: list[str]
    safe: bool
    argv: list[str]
    quiet: bool  # one line per trial (logs) instead of KerasTuner's and Keras's progress
    notes: Callable[[list[Problem]], None] = field(default=lambda problems: None)

    @property
    def tune(self) -> Tune:
        assert self.loaded.recipe.tune is not None, "checked when the search opened"
        return self.loaded.recipe.tune

    @property
    def direction(self) -> str:
        return objective_direction(self.tune.objective) or "min"  # validation requires one

    def trial_path(self, trial_id: str, execution: int = 0) -> Path:
        """`trials/<id>`; further executions of one trial beside it as `trials/<id>-<n>`."""
        return self.directory / TRIALS_FOLDER / (trial_id if execution == 0 else f"{trial_id}-{execution + 1}")


def make_oracle(plan: SearchPlan) -> keras_tuner.Oracle:
    """KerasTuner's Oracle for the recipe's algorithm, over exactly the recipe's space."""
    tune = plan.tune
    common: dict[str, Any] = {
        "objective": keras_tuner.Objective(tune.objective.metric, plan.direction),
        "hyperparameters": hyperparameters(tune),
        "allow_new_entries": False,
        "tune_new_entries": False,
        "seed": plan.loaded.recipe.seed,
    }
    if tune.algorithm == "hyperband":
        return keras_tuner.oracles.HyperbandOracle(max_epochs=plan.loaded.recipe.fit.epochs, factor=tune.factor, **common)
    if tune.algorithm == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(max_trials=tune.max_trials, **common)
    return keras_tuner.oracles.RandomSearchOracle(max_trials=tune.max_trials, **common)


class RecipeTuner(BaseTuner):
    """Runs each trial as kcfg training runs under `trials/`; reports the objective's best epoch value."""

    def __init__(self, plan: SearchPlan, *, on_trial_end: Callable[[RecipeTuner], None]) -> None:
        self.plan = plan
        self.scores: dict[str, float] = {}
        self.failures: dict[str, str] = {}
        self.started: dict[str, float] = {}
        self.after_trial = on_trial_end
        self.noted: set[str] = set()
        super().__init__(make_oracle(plan), directory=str(plan.directory), project_name=TUNER_FOLDER)

    @property
    def is_worker(self) -> bool:
        return bool(self._is_worker())

    def on_search_begin(self) -> None:
        self.save()  # so a search killed in its first trial reloads its Oracle on --resume

    def on_trial_begin(self, trial: Any) -> None:
        self.started[trial.trial_id] = time.monotonic()

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        values = trial.hyperparameters.values
        plan = self.plan
        sets = [*plan.sets, *overrides(trial_values(values, plan.tune))]
        if "tuner/epochs" in values:
            sets.append(f"fit.epochs={int(values['tuner/epochs'])}")
        if plan.quiet and plan.loaded.recipe.fit.verbose == "auto":
            sets.append(QUIET_FIT)
        previous = values.get("tuner/trial_id")
        scores = []
        for execution in range(plan.tune.executions_per_trial):
            seed = plan.loaded.recipe.seed
            reseeded = [f"seed={seed + execution}"] if execution and seed is not None else []
            training = TrialTraining(
                plan.loaded.file, plan.trial_path(trial.trial_id, execution), [*sets, *reseeded], [*plan.unsets, TRIAL_UNSETS], plan.safe, plan.argv,
                warm_start=plan.trial_path(previous, execution) if previous else None,
            )
            scores.append(self.train(trial.trial_id, training))
        self.scores[trial.trial_id] = statistics.fmean(scores)
        return {plan.tune.objective.metric: self.scores[trial.trial_id]}

    def train(self, trial_id: str, training: TrialTraining) -> float:
        """One execution; problems become a failed trial (KerasTuner goes on with the next)."""
        metric = self.plan.tune.objective.metric
        try:
            run = training.train(self.note_once)
        except RecipeError as exc:
            self.failures[trial_id] = "; ".join(str(p) for p in exc.problems)
            raise keras_tuner.errors.FailedTrialError(self.failures[trial_id]) from None
        except (FeedError, TrainingFailed, RunDirError) as exc:
            self.failures[trial_id] = " ".join(str(exc).split())
            raise keras_tuner.errors.FailedTrialError(self.failures[trial_id]) from None
        run.update_manifest(trial=trial_id, tuner=self.tuner_id)
        score = best_epoch_value(run.history(), metric, self.plan.direction)
        if score is None:
            self.failures[trial_id] = f"the run logged no {metric}"
            raise keras_tuner.errors.FailedTrialError(self.failures[trial_id])
        return score

    def note_once(self, problems: list[Problem]) -> None:
        """Builder notes are the same for every trial: show each once."""
        fresh = [p for p in problems if str(p) not in self.noted]
        self.noted.update(str(p) for p in fresh)
        self.plan.notes(fresh)

    def on_trial_end(self, trial: Any) -> None:
        super().on_trial_end(trial)  # the Oracle scores and saves it
        if self.plan.quiet or self.is_worker:
            print(self.trial_line(trial), flush=True)
        if not self.is_worker:  # a worker's Oracle is the chief's, over gRPC: the chief writes the results
            self.after_trial(self)

    def trial_line(self, trial: Any) -> str:
        """`trial 03 completed: val_accuracy=0.9861 (best 0.9875, trial 01); units=96 (12 s)`: one line for logs."""
        trial_id = trial.trial_id
        metric = self.plan.tune.objective.metric
        seconds = time.monotonic() - self.started.get(trial_id, time.monotonic())
        values = " ".join(f"{path}={value}" for path, value in trial_values(trial.hyperparameters.values, self.plan.tune).items())
        if trial_id in self.scores:
            best = self.oracle.get_best_trials(1)
            best_text = f" (best {best[0].score:.4g}, trial {best[0].trial_id})" if best and best[0].score is not None else ""
            outcome = f"completed: {metric}={self.scores[trial_id]:.4g}{best_text}"
        else:
            outcome = f"failed: {self.failures.get(trial_id, (trial.message or 'error').strip().splitlines()[-1])}"
        worker = f"[{self.tuner_id}] " if self.is_worker else ""
        return f"{worker}trial {trial_id} {outcome}; {values} ({seconds:.0f} s)"

