"""`tune`: a hyperparameter search space over recipe paths, its objective and algorithm (RECIPE.md section 12)."""

from __future__ import annotations

import builtins
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from kcfg.recipe.schema.base import PositiveInt, Section

Sampling = Literal["linear", "log", "reverse_log"]


class IntRange(Section):
    """`{int: [low, high], step: N, sampling: log}`: whole numbers from low to high, both included."""

    int: list[builtins.int] = Field(min_length=2, max_length=2, description="Lowest and highest value, both included.")
    step: builtins.int | None = Field(None, ge=1, description="Distance between values (linear), or the factor between them (log).")
    sampling: Sampling = Field("linear", description="linear, log (needs low > 0) or reverse_log.")


class FloatRange(Section):
    """`{float: [low, high], step: x, sampling: log}`: numbers from low to high."""

    float: list[builtins.float] = Field(min_length=2, max_length=2, description="Lowest and highest value.")
    step: builtins.float | None = Field(None, gt=0, description="Distance between values (linear), or the factor between them (log).")
    sampling: Sampling = Field("linear", description="linear, log (needs low > 0) or reverse_log.")

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_numbers(cls, data: Any) -> Any:
        """`{float: [0, 1]}`: YAML reads 0 and 1 as integers; strict validation would refuse them."""
        if isinstance(data, dict) and isinstance(data.get("float"), list):
            data = {**data, "float": [builtins.float(v) if isinstance(v, builtins.int) and not isinstance(v, bool) else v for v in data["float"]]}
        if isinstance(data, dict) and isinstance(data.get("step"), builtins.int) and not isinstance(data["step"], bool):
            data = {**data, "step": builtins.float(data["step"])}
        return data


class ChoiceRange(Section):
    """`{choice: [a, b, c]}`: one of these values (numbers, strings, booleans, or whole `{type: ...}` objects)."""

    choice: list[Any] = Field(min_length=1, description="The values to choose from, in order.")


def _range_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("int", "float", "choice"):
            if key in value:
                return key
    return None


SpaceRange = Annotated[
    Annotated[IntRange, Tag("int")] | Annotated[FloatRange, Tag("float")] | Annotated[ChoiceRange, Tag("choice")],
    Discriminator(_range_tag, custom_error_type="space_range", custom_error_message="expected {int: [low, high]}, {float: [low, high]} or {choice: [...]}"),
]


class Objective(Section):
    """What the search optimizes: a metric the run logs (`val_accuracy`, `loss`, ...), and its direction."""

    metric: str = Field(description="A logged metric: a loss or metric name, with `val_` for validation data.")
    direction: Literal["min", "max"] | None = Field(None, description="min or max; default: min for losses and errors, max for accuracy-like metrics.")


class Tune(Section):
    """A hyperparameter search with KerasTuner: each trial is this recipe with the trial's values set."""

    objective: Objective = Field(description="The metric to optimize, and its direction.")
    algorithm: Literal["random", "bayesian", "hyperband"] = Field("random", description="KerasTuner's RandomSearch, BayesianOptimization or Hyperband oracle.")
    max_trials: PositiveInt = Field(10, description="Trials to run at most (random, bayesian); hyperband's count follows from fit.epochs and factor.")
    executions_per_trial: PositiveInt = Field(1, description="Trainings per trial (seeds seed, seed+1, ...); the objective is their mean.")
    factor: Annotated[builtins.int, Field(ge=2)] = Field(3, description="hyperband: the reduction factor of epochs and trials between rounds.")
    space: dict[str, SpaceRange] = Field(min_length=1, description="Recipe path (as for --set) -> its range.")


#: Name fragments of metrics that are better when smaller, and when larger.
_LOWER_IS_BETTER = ("loss", "error", "hinge", "divergence", "crossentropy", "poisson", "cosh")
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "iou", "f1", "score", "r2", "top_k", "true_", "specificity", "sensitivity")


def objective_direction(objective: Objective) -> Literal["min", "max"] | None:
    """The direction as given, or the one a metric's name makes plain; None when neither."""
    if objective.direction is not None:
        return objective.direction
    name = objective.metric.lower()
    if any(part in name for part in _LOWER_IS_BETTER):
        return "min"
    if any(part in name for part in _HIGHER_IS_BETTER):
        return "max"
    return None
