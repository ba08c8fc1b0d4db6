"""The run stage: data, compile, fit, callbacks, run directories, smoke tests, trained runs, workers, searches.

The CLI uses only these names. Each loads on first use (PEP 562): `Training`,
`TrainingRequest`, `Cluster`, the launchers and `RunDirError` without Keras (so `kcfg
train` can choose the Keras backend from the recipe before Keras loads, and a launcher
never loads it), and `kcfg runs`/`kcfg diff` read run directories without TensorFlow; a
name whose module trains or loads models imports Keras, so reach it after the quiet import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcfg.run.adapt import build_adapted
    from kcfg.run.backend import by_backend, choose_backend
    from kcfg.run.cluster import Cluster
    from kcfg.run.curves import CurvesError, draw_curves
    from kcfg.run.diff import diff_lines, diff_side
    from kcfg.run.distributed import PeerLost, abandon_cluster
    from kcfg.run.export import FORMATS, Exported, ExportMismatch, ExportUnavailable, export_model
    from kcfg.run.feeding import FeedError
    from kcfg.run.launcher import launch_local
    from kcfg.run.ray_launcher import launch_on_ray
    from kcfg.run.report import report_html
    from kcfg.run.run_dir import RunDir, RunDirError
    from kcfg.run.runs_table import RunRow, run_rows, runs_text
    from kcfg.run.smoke import SmokeResult, smoke, smoke_elsewhere
    from kcfg.run.train import TrainingFailed
    from kcfg.run.trained import TrainedRun, find_run
    from kcfg.run.training import Training, TrainingRequest
    from kcfg.run.tune import SearchFailed, SearchInterrupted, SearchOutcome, TuneError, TuneRequest, run_search

#: Module of this stage -> the public names it defines.
_MODULES = {
    "adapt": ["build_adapted"],
    "backend": ["by_backend", "choose_backend"],
    "cluster": ["Cluster"],
    "curves": ["CurvesError", "draw_curves"],
    "diff": ["diff_lines", "diff_side"],
    "distributed": ["PeerLost", "abandon_cluster"],
    "export": ["FORMATS", "ExportMismatch", "ExportUnavailable", "Exported", "export_model"],
    "feeding": ["FeedError"],
    "launcher": ["launch_local"],
    "ray_launcher": ["launch_on_ray"],
    "report": ["report_html"],
    "run_dir": ["RunDir", "RunDirError"],
    "runs_table": ["RunRow", "run_rows", "runs_text"],
    "smoke": ["SmokeResult", "smoke", "smoke_elsewhere"],
    "train": ["TrainingFailed"],
    "trained": ["TrainedRun", "find_run"],
    "training": ["Training", "TrainingRequest"],
    "tune": ["SearchFailed", "SearchInterrupted", "SearchOutcome", "TuneError", "TuneRequest", "run_search"],
}
_HOMES = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "FORMATS", "ExportMismatch", "ExportUnavailable", "Exported", "export_model",
    "Cluster", "CurvesError", "FeedError", "PeerLost", "RunDir", "RunDirError", "RunRow", "SearchFailed",
    "SearchInterrupted", "SearchOutcome", "SmokeResult", "TrainedRun", "Training", "TrainingFailed",
    "TrainingRequest", "TuneError", "TuneRequest", "abandon_cluster", "build_adapted", "by_backend",
    "choose_backend", "diff_lines", "diff_side", "draw_curves", "find_run", "launch_local", "launch_on_ray",
    "report_html", "run_rows", "run_search", "runs_text", "smoke", "smoke_elsewhere",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` and bind all of its public names here.

    Binding them all also replaces a submodule that its own import bound under the same
    name (`kcfg.run.smoke`), so `from kcfg.run import smoke` is always the function.
    """
    if name not in _HOMES:
        raise AttributeError(f"module 'kcfg.run' has no attribute {name!r}")
    module = importlib.import_module(f"kcfg.run.{_HOMES[name]}")
    for public in _MODULES[_HOMES[name]]:
        globals()[public] = getattr(module, public)
    return globals()[name]
