"""Shared test helpers: the repository layout and running the real `kcfg` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


#: Variables `import tensorflow` sets in this (pytest) process, which a user's shell would not pass on.
SET_BY_TENSORFLOW = ("TF_CPP_MIN_LOG_LEVEL", "TF2_BEHAVIOR", "TPU_ML_PLATFORM", "TPU_ML_PLATFORM_VERSION", "TPU_SKIP_MDS_QUERY", "HDF5_PLUGIN_PATH", "ENABLE_RUNTIME_UPTIME_TELEMETRY")


def user_environment() -> dict[str, str]:
    """This process's environment without what importing TensorFlow here added to it."""
    return {k: v for k, v in os.environ.items() if k not in SET_BY_TENSORFLOW}


def run_kcfg(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m kcfg ARGS` in a subprocess, as a user's shell would."""
    full_env = {**user_environment(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "kcfg", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


def streamed(feed: Any) -> tuple[Any, ...]:
    """The parts (x, y[, sample_weight]) of a batched stream feed, every batch concatenated in order."""
    import numpy as np

    return tuple(np.concatenate(part) for part in zip(*feed.x.as_numpy_iterator()))


@pytest.fixture
def write(tmp_path: Path):
    """Write a file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
