"""The run directory (RECIPE.md section 11): where it is, what it holds, written atomically."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kcfg import __version__
from kcfg.files import write_atomically

TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
TIMESTAMP_VARIABLE = "${timestamp}"


class RunDirError(Exception):
    """A run directory that cannot be used as asked (exists, missing, not a run)."""


def new_timestamp() -> str:
    return datetime.now().strftime(TIMESTAMP_FORMAT)


@dataclass
class RunDir:
    """One training run's folder."""

    path: Path

    @property
    def manifest_file(self) -> Path:
        return self.path / "manifest.json"

    def manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest_file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise RunDirError(f"{self.path} is not a kcfg run (no manifest.json)") from exc
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{self.manifest_file} cannot be read ({' '.join(str(exc).split())[:120]}); the run cannot be continued: start again with --overwrite") from exc
        if not isinstance(data, dict) or "kcfg" not in data:
            raise RunDirError(f"{self.manifest_file} is not a kcfg manifest; the run cannot be continued: start again with --overwrite")
        return data

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        write_atomically(self.path / name, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

    def update_manifest(self, **changes: Any) -> None:
        self.write_json("manifest.json", {**self.manifest(), **changes})

    def metrics(self) -> dict[str, Any]:
        path = self.path / "metrics.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def update_metrics(self, **sections: Any) -> None:
        self.write_json("metrics.json", {**self.metrics(), **sections})

    def history(self) -> list[dict[str, Any]]:
        path = self.path / "history.csv"
        if not path.is_file():
            return []
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise RunDirError(f"{path} cannot be read ({' '.join(str(exc).split())[:120]}); the run cannot be continued: start again with --overwrite") from exc

    def write_history(self, rows: list[dict[str, Any]]) -> None:
        columns = ["epoch", *sorted({k for row in rows for k in row if k != "epoch"})]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_atomically(self.path / "history.csv", out.getvalue())


class RunLock:
    """An exclusive lock on a run directory while one kcfg process trains in it (two resumes of
    one run would interleave their files). The folder itself is locked: no lock file is left."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise RunDirError(f"run {path} is being trained by another kcfg process; wait for it to end") from None

    def release(self) -> None:
        os.close(self.fd)  # closing releases the lock


def is_kcfg_run(path: Path) -> bool:
    """A folder kcfg made: its manifest.json says so (a user's folder of files never does)."""
    try:
        RunDir(path).manifest()
    except RunDirError:
        return False
    return True


def usable(path: Path) -> None:
    """Refuse run directories that are not plain folders we may create."""
    if path.is_symlink():
        raise RunDirError(f"run directory {path} is a symbolic link; give the folder it points to")
    if path.exists() and not path.is_dir():
        raise RunDirError(f"run directory {path} is a file, not a folder; choose another --run-dir")


def create(path: Path, *, overwrite: bool, recipe_file: Path) -> RunDir:
    """A new, empty run directory; an existing one only with `overwrite`, and only a kcfg run."""
    usable(path)
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise RunDirError(f"run directory {path} exists; use --resume to continue it or --overwrite to replace it")
        if not is_kcfg_run(path) or recipe_file.resolve().is_relative_to(path.resolve()):
            raise RunDirError(f"{path} is not a kcfg run (no kcfg manifest.json), or holds the recipe: --overwrite only replaces kcfg runs; choose another --run-dir")
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"cannot create run directory {path}: {exc.strerror or exc}") from exc
    return RunDir(path)


def runs_of(template: str, marker: str = "manifest.json") -> list[RunDir]:
    """Runs whose folder is `template` with a timestamp in place of `${timestamp}`, oldest first.

    The template is literal text: a recipe named `*` or `[a]` finds only its own runs.
    `marker` is the file that makes a folder count (a search's is `search.json`).
    """
    template = os.path.normpath(template)
    head = template.split(TIMESTAMP_VARIABLE)[0]
    root = head[: head.rfind(os.sep) + 1]
    pattern = re.compile(r"\d{8}-\d{6}".join(re.escape(part) for part in template.split(TIMESTAMP_VARIABLE)))
    levels = "/".join(["*"] * (template[len(root):].count(os.sep) + 1))
    found = [p for p in Path(root or ".").glob(levels) if pattern.fullmatch(os.path.normpath(p)) and (p / marker).is_file()]
    return [RunDir(p) for p in sorted(found)]


def newest_run(template: str) -> RunDir:
    """The most recent run of a recipe, for `--resume` without `--run-dir`."""
    found = runs_of(template)
    if not found:
        raise RunDirError(f"no run to continue matches {template}; give --run-dir")
    return found[-1]


def git_commit(folder: Path) -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def new_manifest(recipe_file: Path, overrides: list[str], timestamp: str, seed: int | None, argv: list[str]) -> dict[str, Any]:
    """What was run, with what, where: enough to repeat it."""
    import keras
    import tensorflow as tf

    return {
        "kcfg": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "recipe": str(recipe_file.resolve()),
        "overrides": overrides,
        "timestamp": timestamp,
        "seed": seed,
        "command": argv,
        "git_commit": git_commit(recipe_file.resolve().parent),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": "running",
        "epochs_completed": 0,
    }


def start(path: Path, *, overwrite: bool, recipe_file: Path, overrides: list[str], timestamp: str, seed: int | None, argv: list[str]) -> tuple[RunDir, RunLock]:
    """A new run directory with its manifest, locked for this process."""
    run = create(path, overwrite=overwrite, recipe_file=recipe_file)
    lock = RunLock(path)
    # run_dir: the text `${run_dir}` became in recipe.yaml, so `kcfg diff` can tell it from real changes
    run.write_json("manifest.json", {**new_manifest(recipe_file, overrides, timestamp, seed, argv), "run_dir": str(path)})
    return run, lock
