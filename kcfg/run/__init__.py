"""The run stage: data, compile, fit, callbacks, run directories, smoke tests, trained runs.

The CLI uses only these names; everything here imports Keras, so import it after the
quiet TensorFlow import.
"""

from kcfg.run.export import FORMATS, Exported, ExportMismatch, ExportUnavailable, export_model
from kcfg.run.feeding import FeedError
from kcfg.run.run_dir import RunDir, RunDirError
from kcfg.run.smoke import SmokeResult, smoke
from kcfg.run.train import TrainingFailed
from kcfg.run.trained import TrainedRun, find_run
from kcfg.run.training import Training, TrainingRequest

__all__ = [
    "FORMATS", "ExportMismatch", "ExportUnavailable", "Exported", "FeedError", "RunDir", "RunDirError", "SmokeResult", "TrainedRun", "Training", "TrainingFailed", "TrainingRequest", "export_model", "find_run", "smoke",
]
