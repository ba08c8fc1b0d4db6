"""`kcfg train --ray`: a real Ray cluster on this machine (a head bound to 127.0.0.1) starts the two workers.

Ray advertises the machine's own address unless told otherwise, so the head is pinned to the
loopback, with its own port and temporary folder; the test stops it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import user_environment
from .test_data_parallel import LIMIT, RECIPE

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

RAY = Path(sys.executable).with_name("ray")


def ray_environment() -> dict[str, str]:
    """A user's environment (nothing TensorFlow added here), with the Ray setting the multi-machine notes use."""
    return {**user_environment(), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[str]:
    from kcfg.run.cluster import free_port

    address = f"127.0.0.1:{free_port()}"
    temp = Path("/tmp") / f"kcfg-ray-{os.getpid()}"  # Ray refuses long socket paths, as under pytest's tmp_path
    env = ray_environment()
    start = [str(RAY), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={address.split(':')[1]}", "--num-cpus=2",
             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"]
    started = subprocess.run(start, env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield address
    finally:
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_train_starts_the_workers_and_process_0_writes_the_run(ray_head: str, tmp_path: Path) -> None:
    recipe = tmp_path / "dp.yaml"
    recipe.write_text(RECIPE)
    run = tmp_path / "run"
    command = ["timeout", "-s", "KILL", str(2 * LIMIT), sys.executable, "-m", "kcfg", "train", str(recipe), "--ray", ray_head, "--workers", "2",
               "--run-dir", str(run), "--set", "fit.epochs=2"]
    result = subprocess.run(command, cwd=tmp_path, env=ray_environment(), capture_output=True, text=True, timeout=2 * LIMIT + 30)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["epochs_completed"] == 2
    assert manifest["runtime"]["processes"] == 2 and manifest["runtime"]["per_process_batch_size"] == 16
    assert len((run / "history.csv").read_text().splitlines()) == 3
