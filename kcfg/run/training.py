"""A training run as the user asked for it: the recipe loaded once, a new or resumed run directory, its status.

The run stage owns runs; the CLI hands over the request and prints what comes back.
Opening a training loads no Keras: it chooses the Keras backend the recipe names, and a
data_parallel recipe's launcher starts its workers from here without loading Keras at all.
A worker other than process 0 trains into a temporary run directory, removed at the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcfg.files import remove_temporaries
from kcfg.recipe import LoadedRecipe, Problem, load_recipe
from kcfg.recipe.errors import PathProblem
from kcfg.run.backend import use_backend
from kcfg.run.cluster import Cluster, temporary_run_dir
from kcfg.run.run_dir import RunDir, RunDirError, RunLock, new_timestamp, newest_run, start
from kcfg.run.run_recipe import recipe_for_run


@dataclass
class TrainingRequest:
    """What `kcfg train` was asked."""

    recipe: Path
    sets: list[str] = field(default_factory=list)
    unsets: list[str] = field(default_factory=list)
    safe: bool = False
    run_dir: Path | None = None
    resume: bool = False
    overwrite: bool = False
    argv: list[str] = field(default_factory=list)
    cluster: Cluster | None = None  # this process's place in a data_parallel cluster (--coordinator ...)


@dataclass
class Training:
    """One training run: the recipe with its run variables, where it writes, and whether it continues one."""

    loaded: LoadedRecipe
    path: Path
    timestamp: str
    resumed: RunDir | None
    request: TrainingRequest
    opened: RunDir | None = None
    lock: RunLock | None = None

    @classmethod
    def open(cls, request: TrainingRequest) -> Training:
        """Load the recipe and find the run directory; nothing is written yet.

        Raises:
            RecipeError: the recipe is invalid, or asks for what this process cannot do.
            RunDirError: `--resume` found no run to continue.
        """
        training = cls.find_run(request)
        try:
            training.check_cluster()
            use_backend(training.loaded.recipe.runtime)
        except PathProblem as exc:
            raise exc.located(training.loaded.where) from None
        return training

    @classmethod
    def find_run(cls, request: TrainingRequest) -> Training:
        loaded = load_recipe(request.recipe, sets=request.sets, unsets=request.unsets, safe=request.safe)
        if request.cluster is not None and not request.cluster.is_chief:
            path, timestamp = temporary_run_dir(request.cluster.process_id, os.getpid()), new_timestamp()
            return cls(loaded.with_run(path, timestamp), path, timestamp, None, request)
        if not request.resume:
            timestamp = new_timestamp()
            path = request.run_dir or Path(loaded.run_dir(timestamp))
            return cls(loaded.with_run(path, timestamp), path, timestamp, None, request)
        run = RunDir(request.run_dir) if request.run_dir else newest_run(loaded.run_dir())
        continued = recipe_for_run(run, request.recipe, safe=request.safe, sets=request.sets, unsets=request.unsets)
        return cls(continued, run.path, str(run.manifest().get("timestamp", "")), run, request)

    @property
    def warnings(self) -> list[Problem]:
        return self.loaded.warnings

    @property
    def workers_to_start(self) -> int:
        """How many worker processes `kcfg train` starts on this machine (0: it trains itself)."""
        processes = self.loaded.recipe.runtime.processes
        return processes if processes > 1 and self.request.cluster is None else 0

    @property
    def is_temporary(self) -> bool:
        """A worker other than process 0: its run directory is a throwaway copy."""
        return self.request.cluster is not None and not self.request.cluster.is_chief

    def check_cluster(self) -> None:
        """`--coordinator` needs a data_parallel recipe whose global batch divides among the processes."""
        cluster, runtime = self.request.cluster, self.loaded.recipe.runtime
        if cluster is None:
            return
        if runtime.spec.strategy != "data_parallel":
            raise PathProblem(("runtime", "distribute"), f"--coordinator starts a data_parallel worker, but runtime.distribute is {runtime.spec.strategy}: set runtime.backend: jax and runtime.distribute: data_parallel")
        batch = self.loaded.recipe.fit.batch_size
        if batch is not None and batch % cluster.num_processes:
            raise PathProblem(("fit", "batch_size"), f"the global batch ({batch}) must divide evenly among the {cluster.num_processes} processes")

    def open_run(self) -> RunDir:
        """Create the run directory (or reopen the resumed one) once the model and data are known to fit."""
        if self.resumed is not None:
            self.lock = RunLock(self.resumed.path)
            remove_temporaries(self.resumed.path)
            self.resumed.update_manifest(status="running", command=self.request.argv)
            self.opened = self.resumed
        else:
            self.opened, self.lock = start(self.path, overwrite=self.request.overwrite or self.is_temporary, recipe_file=self.loaded.file, overrides=self.loaded.overrides, timestamp=self.timestamp, seed=self.loaded.recipe.seed, argv=self.request.argv)
        return self.opened

    def run(self, notes: Callable[[list[Problem]], None]) -> tuple[RunDir, dict[str, Any]]:
        """Train; the manifest ends `completed`, `failed` (with the reason) or `interrupted`."""
        from kcfg.run.train import train

        try:
            run, metrics = train(self.loaded, self.open_run, resume=self.request.resume, notes=notes, cluster=self.request.cluster)
            run.update_manifest(status="completed")
        except KeyboardInterrupt:
            self.mark(status="interrupted")
            raise
        except Exception as exc:
            self.mark(status="failed", failure=" ".join(str(exc).split())[:400])
            raise
        finally:
            if self.lock is not None:
                self.lock.release()
            if self.is_temporary:
                shutil.rmtree(self.path, ignore_errors=True)
        return run, metrics

    def mark(self, **changes: Any) -> None:
        """Record the outcome in the manifest of the run this training opened (never another run's)."""
        if self.opened is not None:
            try:
                self.opened.update_manifest(**changes)
            except (OSError, RunDirError):  # the run's folder is what failed (full, read-only): the first error says so
                pass

