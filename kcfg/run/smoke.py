"""The CI smoke test of one recipe: build, compile, a few training steps, save, reload, compare.

Recipes whose real data is not on the CI machine still smoke-test: by default the steps
run on `synthetic` data shaped by the model's inputs, outputs and losses.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kcfg.recipe import Problem, RecipeError, load_recipe
from kcfg.recipe.schema import SyntheticSource
from kcfg.run.adapt import Adaptation
from kcfg.run.feeding import pipeline
from kcfg.run.heap import long_lived_frozen
from kcfg.run.prepare import prepare
from kcfg.run.saved_model import load_saved_model

STEPS = 2
BATCH_SIZE = 8
#: How close the reloaded model's predictions must be to the original's.
TOLERANCE = 1e-5


@dataclass
class SmokeResult:
    """One recipe's outcome: `problems` holds its error lines when it failed."""

    file: Path
    seconds: float = 0.0
    loss: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"recipe": str(self.file), "passed": self.passed, "seconds": round(self.seconds, 3), "loss": self.loss, "problems": self.problems}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmokeResult:
        return cls(Path(data["recipe"]), data["seconds"], data["loss"], list(data["problems"]))


def smoke_elsewhere(files: list[Path], backend: str, *, real_data: bool = False, safe: bool = False) -> list[SmokeResult]:
    """Smoke-test recipes on another Keras backend, in a second `kcfg smoke` (a process has one backend)."""
    command = [sys.executable, "-m", "kcfg", "smoke", "--backend", backend, "--format", "json", *map(str, files)]
    result = subprocess.run(command + (["--real-data"] if real_data else []) + (["--safe"] if safe else []), capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        message = f"kcfg smoke --backend {backend} failed: {' '.join(result.stderr.split())[-400:]}"
        return [SmokeResult(file, problems=[message]) for file in files]
    return [SmokeResult.from_dict(entry) for entry in report["recipes"]]


class SmokeFailure(Exception):
    """A step after validation failed (non-finite loss, different predictions after reload)."""


def smoke(file: Path, *, real_data: bool = False, safe: bool = False) -> SmokeResult:
    """Smoke-test one recipe; never raises for a problem of the recipe, reports it."""
    start = time.perf_counter()
    result = SmokeResult(file)
    try:
        with long_lived_frozen():
            result.loss = _steps(file, real_data, safe)
    except RecipeError as exc:
        result.problems = [str(p) for p in exc.problems if p.severity == "error"]
    except SmokeFailure as exc:
        result.problems = [f"{file}: {exc}"]
    except Exception as exc:  # Keras can fail anywhere in fit/save/load; the report must go on to the next recipe
        result.problems = [f"{file}: {type(exc).__name__}: {' '.join(str(exc).split())[:400]}"]
    finally:
        keras.utils.clear_session()
    result.seconds = time.perf_counter() - start
    return result


def _steps(file: Path, real_data: bool, safe: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="kcfg-smoke-") as folder:
        loaded = load_recipe(file, safe=safe)
        if loaded.recipe.runtime.backend != keras.backend.backend():  # `kcfg smoke --backend`: this process's backend
            loaded = load_recipe(file, sets=[f"runtime.backend={keras.backend.backend()}", "runtime.distribute=none"], safe=safe)
        loaded = loaded.with_run(folder, "smoke")
        # XLA's compile time would dominate two steps; a recipe that asks for it (jit_compile: true) keeps it
        adaptation = Adaptation(loaded, synthetic=None if real_data else STEPS * BATCH_SIZE)
        prepared = prepare(loaded, distribute=False, auto_xla=False, adaptation=adaptation)
        model = prepared.model
        source: Any = SyntheticSource(source="synthetic", samples=STEPS * BATCH_SIZE, seed=0)
        if real_data:
            if loaded.recipe.data is None or loaded.recipe.data.train is None:
                raise RecipeError([Problem(loaded.where(("data",)), "data.train", "--real-data needs data.train")])
            source = loaded.recipe.data.train.model_copy(update={"take": STEPS * BATCH_SIZE})
        with prepared.boundary.at(("data", "train")):
            feed = pipeline(prepared.feeder.feed(source, ("data", "train")), source, BATCH_SIZE, False, 0)
        steps = STEPS if feed.is_stream else None  # arrays hold exactly STEPS batches
        with prepared.boundary.step("the first training step", ("data", "train"), ("fit",)):
            history = model.fit(**feed.keras_arguments(BATCH_SIZE), steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise SmokeFailure(f"the training loss is {loss} after {STEPS} steps")
        probe = _probe_inputs(prepared)
        saved = Path(folder) / "model.keras"
        model.save(saved)
        reloaded = load_saved_model(saved, loaded.recipe, prepared.factory)
        compare_reloaded(model, reloaded, probe)
        return loss


def compare_reloaded(model: Any, reloaded: Any, probe: Any) -> None:
    """The reloaded model must predict what the trained one does, from the same random-seed state.

    Layers that draw random numbers at inference (a VAE's sampling) hold their seed state
    in variables; both models start from the trained model's state. A model that is random
    even so (it draws without a seed generator) cannot repeat its own predictions: then its
    weights and configuration are compared instead.

    Raises:
        SmokeFailure: the reloaded model differs.
    """
    seeds = [np.asarray(v) for v in _seed_states(model)]

    def predict(m: Any) -> list[np.ndarray]:
        for state, value in zip(_seed_states(m), seeds):
            state.assign(value)
        return _flat(m.predict(probe, verbose=0))

    before, after = predict(model), predict(reloaded)
    if _differences(before, after) is None:
        return
    if _differences(before, predict(model)) is not None:  # random even from one seed state
        weights = _differences(model.get_weights(), reloaded.get_weights())
        if weights is not None:
            raise SmokeFailure(f"the reloaded model (random at inference, so its weights were compared) has different weights ({weights})")
        if model.to_json() != reloaded.to_json():
            raise SmokeFailure("the reloaded model (random at inference, so its configuration was compared) has a different configuration")
        return
    raise SmokeFailure(f"the reloaded model predicts differently ({_differences(before, after)})")


def _seed_states(model: Any) -> list[Any]:
    """The state variables of the model's random-seed generators, in layer order."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def _differences(first: list[np.ndarray], second: list[np.ndarray]) -> str | None:
    """None when the arrays agree within TOLERANCE; else what differs."""
    for a, b in zip(first, second):
        if a.shape != b.shape:
            return f"shape {a.shape} vs {b.shape}"
        if not np.allclose(a, b, atol=TOLERANCE, rtol=TOLERANCE):
            return f"largest difference {np.max(np.abs(a - b))}"
    return None


def _probe_inputs(prepared: Any) -> Any:
    """A small synthetic batch of inputs for the before/after-reload comparison."""
    feed = prepared.feeder.feed(SyntheticSource(source="synthetic", samples=4, seed=1), ("data",), with_targets=False)
    return feed.x


def _flat(predictions: Any) -> list[np.ndarray]:
    if isinstance(predictions, dict):
        return [np.asarray(predictions[k]) for k in sorted(predictions)]
    if isinstance(predictions, (list, tuple)):
        return [np.asarray(p) for p in predictions]
    return [np.asarray(predictions)]
