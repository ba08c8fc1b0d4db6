"""`runtime:` on the JAX backend: the device check, joining a data_parallel cluster, keras.distribution.

TensorFlow stays loaded for `tf.data` (Keras feeds it on every backend) but is kept off the
GPUs, which belong to JAX.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kcfg.recipe.schema import Runtime
from kcfg.run.cluster import Cluster
from kcfg.run.distributed import agree_on_seed, join
from kcfg.run.runtime_setup import RuntimeProblem, RuntimeSetup


def check_device(device: str) -> None:
    """`gpu`/`gpu:N` need a GPU that JAX sees (`cpu` was settled before JAX loaded: JAX_PLATFORMS)."""
    import jax

    if not device.startswith("gpu"):
        return
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    index = int(device.partition(":")[2] or 0)
    if index >= len(gpus):
        raise RuntimeProblem(("runtime", "device"), f"{device} asked for, but this machine has {len(gpus)} GPU(s) visible to JAX")


def configure_jax(spec: Runtime, seed: int | None, cluster: Cluster | None) -> RuntimeSetup:
    """Join the cluster (the seed is already set: Keras initializes weights alike everywhere), then lay out the model."""
    import jax

    tf.config.set_visible_devices([], "GPU")
    if cluster is not None:
        join(cluster)
        if seed is None:  # every process must shuffle and draw synthetic data alike
            seed = agree_on_seed()
            keras.utils.set_random_seed(seed)
    check_device(spec.device)
    keras.mixed_precision.set_global_policy(spec.mixed_precision or "float32")
    data_parallel = spec.spec.strategy == "data_parallel"
    keras.distribution.set_distribution(keras.distribution.DataParallel() if data_parallel else None)
    devices: list[Any] = jax.devices() if data_parallel else jax.local_devices()[:1]
    record = {
        "strategy": "DataParallel" if data_parallel else "none",
        "replicas": len(devices),
        "devices": [f"{d.platform}:{d.id}" for d in devices],
        "precision": spec.mixed_precision or "float32",
        "deterministic": spec.deterministic,
        "backend": "jax",
        "processes": jax.process_count(),
    }
    return RuntimeSetup(None, record, seed)
