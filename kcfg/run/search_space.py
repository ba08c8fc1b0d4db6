"""`tune.space` as KerasTuner hyperparameters, and a trial's values back as recipe overrides.

Each hyperparameter is named by its recipe path, so the Oracle's values, KerasTuner's
progress table and `trials.csv` all speak the recipe's language.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kcfg.recipe.schema import ChoiceRange, FloatRange, IntRange, SpaceRange, Tune

if TYPE_CHECKING:
    import keras_tuner

#: Values KerasTuner's own oracles add to a trial (Hyperband's epochs and warm start).
TUNER_PREFIX = "tuner/"


def _scalars_of_one_kind(values: list[Any]) -> list[Any] | None:
    """Choice values KerasTuner takes as they are (one of int, float, str, bool), or None."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values] if any(isinstance(v, float) for v in values) else list(values)
    for kind in (str, bool):
        if all(type(v) is kind for v in values):
            return list(values)
    return None


def _encoded(spec: ChoiceRange) -> bool:
    """Whether a choice goes to KerasTuner as JSON text (objects, lists, mixed kinds)."""
    return _scalars_of_one_kind(spec.choice) is None


def hyperparameters(tune: Tune) -> keras_tuner.HyperParameters:
    """The search space, one hyperparameter per recipe path."""
    import keras_tuner  # an optional dependency: only a search imports it

    hp = keras_tuner.HyperParameters()
    for path, spec in tune.space.items():
        if isinstance(spec, IntRange):
            hp.Int(path, spec.int[0], spec.int[1], step=spec.step, sampling=spec.sampling)
        elif isinstance(spec, FloatRange):
            hp.Float(path, spec.float[0], spec.float[1], step=spec.step, sampling=spec.sampling)
        else:
            plain = _scalars_of_one_kind(spec.choice)
            hp.Choice(path, plain if plain is not None else [json.dumps(v, sort_keys=True) for v in spec.choice], ordered=False)
    return hp


def trial_values(values: dict[str, Any], tune: Tune) -> dict[str, Any]:
    """A trial's recipe values by path (choices decoded), without KerasTuner's own entries."""
    decoded: dict[str, Any] = {}
    for path, value in values.items():
        if path.startswith(TUNER_PREFIX) or path not in tune.space:
            continue
        spec: SpaceRange = tune.space[path]
        value = value.item() if hasattr(value, "item") else value  # numpy scalars from the Bayesian oracle
        if isinstance(value, float):
            value = float(f"{value:.10g}")  # 0.30000000000000004 from a step of 0.05 is meant as 0.3
        decoded[path] = json.loads(value) if isinstance(spec, ChoiceRange) and _encoded(spec) else value
    return decoded


def overrides(values: dict[str, Any]) -> list[str]:
    """`--set` overrides for recipe values; JSON is YAML 1.2, so `"1e-3"` stays a string and 1e-3 a number."""
    return [f"{path}={json.dumps(value, sort_keys=True)}" for path, value in values.items()]
