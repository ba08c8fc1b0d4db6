"""The run stage: data, compile, fit, callbacks, run directories, smoke tests, trained runs, workers.

The CLI uses only these names. They load on first use: `Training`, `TrainingRequest`,
`Cluster`, the launchers and `RunDirError` without Keras (so `kcfg train` can choose the
Keras backend from the recipe before Keras loads, and a launcher never loads it); the rest
import Keras, so reach them after the quiet import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcfg.run.adapt import build_adapted
    from kcfg.run.backend import by_backend, choose_backend
    from kcfg.run.cluster import Cluster
    from kcfg.run.distributed import PeerLost, abandon_cluster
    from kcfg.run.feeding import FeedError
    from kcfg.run.launcher import launch_local
    from kcfg.run.ray_launcher import launch_on_ray
    from kcfg.run.run_dir import RunDir, RunDirError
    from kcfg.run.smoke import SmokeResult, smoke, smoke_elsewhere
    from kcfg.run.train import TrainingFailed
    from kcfg.run.trained import TrainedRun, find_run
    from kcfg.run.training import Training, TrainingRequest

#: Public name -> the module that defines it.
_HOMES = {
    "build_adapted": "adapt",
    "Cluster": "cluster",
    "PeerLost": "distributed", "abandon_cluster": "distributed",
    "FeedError": "feeding",
    "launch_local": "launcher",
    "launch_on_ray": "ray_launcher",
    "RunDir": "run_dir", "RunDirError": "run_dir",
    "SmokeResult": "smoke", "smoke": "smoke", "smoke_elsewhere": "smoke",
    "by_backend": "backend", "choose_backend": "backend",
    "TrainingFailed": "train",
    "TrainedRun": "trained", "find_run": "trained",
    "Training": "training", "TrainingRequest": "training",
}

__all__ = [
    "Cluster", "build_adapted", "FeedError", "PeerLost", "RunDir", "RunDirError", "SmokeResult", "TrainedRun", "Training", "TrainingFailed",
    "TrainingRequest", "abandon_cluster", "by_backend", "choose_backend", "find_run", "launch_local", "launch_on_ray", "smoke",
    "smoke_elsewhere",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'kcfg.run' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kcfg.run.{_HOMES[name]}"), name)
    globals()[name] = value  # also replaces the submodule of the same name (`smoke`) that the import bound here
    return value
