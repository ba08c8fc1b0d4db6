"""What a recipe may make kcfg do: `--safe` (KCFG_SAFE=1) for recipes from untrusted hands.

Under --safe, kcfg fails closed on everything a recipe could use to reach beyond its own
training: no code (plugins, python data sources, classes that load or run code), no
network (RemoteMonitor, datasets that download), no file written outside the run
directory (callback paths must start with `${run_dir}`, the run directory itself must stay
below the working folder), no file read outside the recipe's folder (data, bases,
vocabulary files), and no environment value printed (see `errors.printable`).
Without --safe the same rules that guard against code in run directories apply.
"""

from __future__ import annotations

import glob
import itertools
import os
from pathlib import Path
from typing import Any

from kcfg.recipe.report import Report

REFUSED = "refused in --safe mode (KCFG_SAFE=1)"
#: Callbacks --safe allows; every other one is refused (RemoteMonitor and MLflow's callback send
#: data over the network, LambdaCallback and plugin callbacks run code).
SAFE_CALLBACKS = {"BackupAndRestore", "CSVLogger", "EarlyStopping", "History", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN"}
#: Callback arguments that name files or folders the callback writes (BackupAndRestore also deletes its folder).
CALLBACK_PATHS = ("filepath", "filename", "log_dir", "backup_dir")
#: Layer arguments that may name a file the layer reads (lookup vocabularies, TextVectorization).
LAYER_FILES = ("vocabulary", "filepath", "path")
#: Data source kinds that read a file or folder at `path`.
FILE_SOURCES = ("npz", "npy", "csv", "images", "parquet", "tfrecord")  # paths, folders or globs


def code_names(data: dict[str, Any]) -> list[str]:
    """The code a recipe makes kcfg import: its plugins, python data functions and preprocess functions."""
    names = [f"plugin {p}" for p in data.get("plugins") or [] if isinstance(p, str)]
    sections = data.get("data")
    for source in sections.values() if isinstance(sections, dict) else ():
        if isinstance(source, dict) and source.get("source") == "python":
            names.append(f"python source {source.get('function')}")
        if isinstance(source, dict) and source.get("preprocess") is not None:
            names.append(f"preprocess function {source.get('preprocess')}")
    return names


def inside(path: str, folder: Path) -> bool:
    """`path` (relative to `folder`) stays inside `folder` once links and `..` are resolved."""
    return (folder / path).resolve().is_relative_to(folder.resolve())


def files_inside(pattern: str, folder: Path) -> bool:
    """A path or glob whose every match (and the pattern's own folder) stays inside `folder`: a link matched by a glob counts too."""
    if not glob.has_magic(pattern):
        return inside(pattern, folder)
    fixed = Path(*[part for part in itertools.takewhile(lambda p: not glob.has_magic(p), Path(pattern).parts)] or ["."])
    matches = glob.glob(str(folder / pattern), recursive=True)
    return inside(str(fixed), folder) and all(inside(match, folder) for match in matches)


class SafetyChecker:
    """The --safe rules over a validated recipe's data (plain dicts, `${run_dir}` still unresolved)."""

    def __init__(self, data: dict[str, Any], recipe_dir: Path, report: Report) -> None:
        self.data = data
        self.recipe_dir = recipe_dir
        self.report = report

    def check_all(self) -> None:
        if self.data.get("plugins"):
            self.report.error(("plugins",), f"{REFUSED}: plugins import Python code")
        self.check_data()
        self.check_callbacks()
        for graph_path, graph in self.graphs():
            for name, entry in (graph.get("layers") or {}).items() if isinstance(graph, dict) else ():
                if isinstance(entry, dict):
                    self.check_layer(entry, (*graph_path, "layers", name))
        run_dir = (self.data.get("runtime") or {}).get("run_dir") if isinstance(self.data.get("runtime"), dict) else None
        if isinstance(run_dir, str) and (os.path.isabs(run_dir) or ".." in Path(run_dir).parts):
            self.report.error(("runtime", "run_dir"), f"{REFUSED}: the run directory must stay below the working folder (no absolute path, no '..'); give --run-dir to choose another")

    def graphs(self) -> list[tuple[tuple[str, ...], Any]]:
        """`model`, every submodel and every block: all places layer entries are written."""
        found: list[tuple[tuple[str, ...], Any]] = [(("model",), self.data.get("model"))]
        for section in ("submodels", "blocks"):
            named = self.data.get(section)
            found += [((section, name), graph) for name, graph in named.items()] if isinstance(named, dict) else []
        return found

    def check_data(self) -> None:
        sections = self.data.get("data")
        for split, source in sections.items() if isinstance(sections, dict) else ():
            if not isinstance(source, dict):
                continue
            kind, path = source.get("source"), source.get("path")
            if kind == "python":
                self.report.error(("data", split, "source"), f"{REFUSED}: python data sources run code")
            elif kind in FILE_SOURCES and isinstance(path, str) and not files_inside(path, self.recipe_dir):
                self.report.error(("data", split, "path"), f"{REFUSED}: data must be read from the recipe's folder ({self.recipe_dir})")
            if kind == "tfds" and not (isinstance(source.get("data_dir"), str) and inside(source["data_dir"], self.recipe_dir)):
                self.report.error(("data", split, "data_dir") if "data_dir" in source else ("data", split), f"{REFUSED}: a tfds builder must be read from a data_dir in the recipe's folder ({self.recipe_dir})")
            if source.get("preprocess") is not None:
                self.report.error(("data", split, "preprocess"), f"{REFUSED}: preprocess functions run code")

    def check_callbacks(self) -> None:
        callbacks = self.data.get("callbacks")
        for i, callback in enumerate(callbacks if isinstance(callbacks, list) else []):
            if not isinstance(callback, dict):
                continue
            kind = callback.get("type")
            if not isinstance(kind, str):  # reported by validation
                continue
            if kind not in SAFE_CALLBACKS:
                self.report.error(("callbacks", i, "type"), f"{REFUSED}: {kind} is not among the callbacks --safe allows ({', '.join(sorted(SAFE_CALLBACKS))})", key=("callbacks", i))
                continue
            for key in CALLBACK_PATHS:
                value = callback.get(key)
                if isinstance(value, str) and not (value.startswith("${run_dir}/") and ".." not in Path(value).parts):
                    self.report.error(("callbacks", i, key), f"{REFUSED}: callbacks write only inside the run directory: start the path with ${{run_dir}}/", key=("callbacks", i))

    def check_layer(self, entry: dict[str, Any], path: tuple[str | int, ...]) -> None:
        if entry.get("type") == "TFSMLayer":  # Keras's own safe mode refuses it too
            self.report.error((*path, "type"), f"{REFUSED}: TFSMLayer loads a SavedModel graph, which runs code", key=path)
        for key in LAYER_FILES:
            if isinstance(entry.get(key), str):
                self.report.error((*path, key), f"{REFUSED}: a layer may not read files; give the {key} as a list", key=path)
