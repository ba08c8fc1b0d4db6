"""A training run as the user asked for it: the recipe loaded once, a new or resumed run directory, its status.

The run stage owns runs; the CLI hands over the request and prints what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcfg.files import remove_temporaries
from kcfg.recipe import LoadedRecipe, Problem, load_recipe
from kcfg.run.run_dir import RunDir, RunDirError, RunLock, new_timestamp, newest_run, start
from kcfg.run.run_recipe import recipe_for_run
from kcfg.run.train import train


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
            RecipeError: the recipe is invalid.
            RunDirError: `--resume` found no run to continue.
        """
        loaded = load_recipe(request.recipe, sets=request.sets, unsets=request.unsets, safe=request.safe)
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

    def open_run(self) -> RunDir:
        """Create the run directory (or reopen the resumed one) once the model and data are known to fit."""
        if self.resumed is not None:
            self.lock = RunLock(self.resumed.path)
            remove_temporaries(self.resumed.path)
            self.resumed.update_manifest(status="running", command=self.request.argv)
            self.opened = self.resumed
        else:
            self.opened, self.lock = start(self.path, overwrite=self.request.overwrite, recipe_file=self.loaded.file, overrides=self.loaded.overrides, timestamp=self.timestamp, seed=self.loaded.recipe.seed, argv=self.request.argv)
        return self.opened

    def run(self, notes: Callable[[list[Problem]], None]) -> tuple[RunDir, dict[str, Any]]:
        """Train; the manifest ends `completed`, `failed` (with the reason) or `interrupted`."""
        try:
            run, metrics = train(self.loaded, self.open_run, resume=self.resumed is not None, notes=notes)
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
        return run, metrics

    def mark(self, **changes: Any) -> None:
        """Record the outcome in the manifest of the run this training opened (never another run's)."""
        if self.opened is not None:
            try:
                self.opened.update_manifest(**changes)
            except (OSError, RunDirError):  # the run's folder is what failed (full, read-only): the first error says so
                pass

