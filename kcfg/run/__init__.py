"""The run stage: data, compile, fit, callbacks, run directories, smoke tests, trained runs.

The CLI uses only these names; everything here imports Keras, so import it after the
quiet TensorFlow import.
"""

from kcfg.run.adapt import build_adapted
from kcfg.run.feeding import FeedError
from kcfg.run.run_dir import RunDir, RunDirError
from kcfg.run.smoke import SmokeResult, smoke
from kcfg.run.train import TrainingFailed
from kcfg.run.trained import TrainedRun, find_run
from kcfg.run.training import Training, TrainingRequest

__all__ = ["FeedError", "build_adapted", "RunDir", "RunDirError", "SmokeResult", "TrainedRun", "Training", "TrainingFailed", "TrainingRequest", "find_run", "smoke"]
