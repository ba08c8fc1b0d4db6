"""The run stage: data, compile, fit, callbacks, run directories, smoke tests, trained runs, searches.

The CLI uses only these names. Each loads on first use (PEP 562), so commands that only
read run directories (`kcfg runs`, `kcfg diff`) start without TensorFlow; a name whose
module trains or loads models imports Keras, so use those after the quiet TensorFlow import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcfg.run.curves import CurvesError, draw_curves
    from kcfg.run.diff import diff_lines, diff_side
    from kcfg.run.feeding import FeedError
    from kcfg.run.report import report_html
    from kcfg.run.run_dir import RunDir, RunDirError
    from kcfg.run.runs_table import RunRow, run_rows, runs_text
    from kcfg.run.smoke import SmokeResult, smoke
    from kcfg.run.train import TrainingFailed
    from kcfg.run.trained import TrainedRun, find_run
    from kcfg.run.training import Training, TrainingRequest
    from kcfg.run.tune import SearchFailed, SearchInterrupted, SearchOutcome, TuneError, TuneRequest, run_search

#: Public name -> the module of this stage that defines it.
_MODULES = {
    "CurvesError": "curves", "draw_curves": "curves", "diff_lines": "diff", "diff_side": "diff", "FeedError": "feeding", "report_html": "report", "RunDir": "run_dir", "RunDirError": "run_dir", "RunRow": "runs_table", "run_rows": "runs_table", "runs_text": "runs_table", "SmokeResult": "smoke", "smoke": "smoke",
    "TrainingFailed": "train", "TrainedRun": "trained", "find_run": "trained", "Training": "training",
    "TrainingRequest": "training", "SearchFailed": "tune", "SearchInterrupted": "tune", "SearchOutcome": "tune", "TuneError": "tune", "TuneRequest": "tune", "run_search": "tune",
}

__all__ = [
    "CurvesError", "FeedError", "RunDir", "RunDirError", "RunRow", "SearchFailed", "SearchInterrupted", "SearchOutcome", "SmokeResult", "TrainedRun", "Training", "TrainingFailed",
    "TrainingRequest", "TuneError", "TuneRequest", "diff_lines", "diff_side", "draw_curves", "find_run", "report_html", "run_rows", "run_search", "runs_text", "smoke",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` and bind all of its public names here.

    Binding them matters where a name is also its module's name (`smoke`): importing
    `kcfg.run.smoke` sets this package's `smoke` to the module, so the function is set after it.
    """
    if name not in _MODULES:
        raise AttributeError(f"module 'kcfg.run' has no attribute {name!r}")
    module = importlib.import_module(f"kcfg.run.{_MODULES[name]}")
    for public, where in _MODULES.items():
        if where == _MODULES[name]:
            globals()[public] = getattr(module, public)
    return globals()[name]
