"""`kcfg train --ray ADDRESS --workers N`: the same data_parallel workers, started by Ray Train on a Ray cluster.

Ray Train's `JaxTrainer` places the N workers; on CPU it does not start JAX's distributed
runtime itself, so rank 0 picks its own address and a free port and broadcasts it, and every
worker runs `kcfg train ... --coordinator ADDRESS --num-processes N --process-id RANK` as a
fresh process (the Keras backend is chosen once per process, before Keras loads). Paths are
made absolute: the recipe, its data and the run directory must be readable at the same
paths on every node (a shared file system), and process 0's node writes the run directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kcfg.run.cluster import Cluster, free_port
from kcfg.run.launcher import EXIT_RUN_FAILED, worker_arguments

if TYPE_CHECKING:
    from kcfg.run.training import Training

EXIT_INVALID = 2


def ray_worker(config: dict[str, Any]) -> None:
    """One Ray Train worker: agree on the coordinator, then run `kcfg train` as process RANK."""
    import ray
    from ray.train.collective import broadcast_from_rank_zero
    from ray.train.v2.api.train_fn_utils import get_context

    context = get_context()
    rank, size = context.get_world_rank(), context.get_world_size()
    address = f"{ray.util.get_node_ip_address()}:{free_port('')}" if rank == 0 else None  # type: ignore[no-untyped-call]
    coordinator = broadcast_from_rank_zero(address)
    arguments = [*config["arguments"], "--coordinator", coordinator, "--num-processes", str(size), "--process-id", str(rank)]
    result = subprocess.run([sys.executable, "-m", "kcfg", *arguments], cwd=config["cwd"], env={**os.environ, **config["env"]})
    if result.returncode:
        raise RuntimeError(f"kcfg train as process {rank} of {size} exited with code {result.returncode}")


def launch_on_ray(training: Training, address: str, workers: int, report: Callable[[str], None]) -> int:
    """Run `training` as `workers` Ray Train workers on the cluster at `address`; the exit code."""
    try:
        import ray
        from ray.train.v2.api.config import RunConfig, ScalingConfig
        from ray.train.v2.jax import JaxTrainer
    except ImportError:
        report("kcfg train --ray needs Ray Train: pip install 'kcfg[ray]'")
        return EXIT_INVALID
    placeholder = Cluster("0:0", workers, 0)  # each worker adds its own place
    arguments = worker_arguments(training, placeholder)[: -6]
    arguments[1], arguments[3] = str(Path(arguments[1]).resolve()), str(Path(arguments[3]).resolve())
    env = {name: os.environ[name] for name in ("TF_CPP_MIN_LOG_LEVEL", "KCFG_DEBUG", "KCFG_SAFE") if name in os.environ}
    ray.init(address=address, log_to_driver=True, configure_logging=False)
    try:
        trainer = JaxTrainer(
            ray_worker,
            train_loop_config={"arguments": arguments, "cwd": os.getcwd(), "env": env},
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=False),
            run_config=RunConfig(name=f"kcfg-{training.loaded.name}", storage_path=tempfile.gettempdir()),
        )
        trainer.fit()
    except Exception as exc:  # Ray wraps the worker's failure; its own message is enough
        report(f"kcfg train --ray: {' '.join(str(exc).split())[:400]}")
        return EXIT_RUN_FAILED
    finally:
        ray.shutdown()
    return 0
