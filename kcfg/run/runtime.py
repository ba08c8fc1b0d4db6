"""`runtime:`: device, determinism, mixed precision, and the tf.distribute strategy or the JAX distribution.

Everything here must happen before the backend creates its devices, so `configure` runs
right after the import and before the model is built. Batch sizes in a recipe are
global, as in `Model.fit`: each of N replicas gets batch_size / N samples per step.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import keras
import tensorflow as tf

from kcfg.recipe.errors import KeyPath
from kcfg.recipe.schema import Runtime
from kcfg.run.cluster import Cluster
from kcfg.run.runtime_setup import RuntimeProblem, RuntimeSetup


def _device_number(name: str) -> int:
    match = re.search(r"(\d+)$", name)
    return int(match.group(1)) if match else 0


def select_device(device: str) -> None:
    """`cpu` hides GPUs; `gpu`/`gpu:N` require them (and show only N); `auto` leaves TensorFlow's choice."""
    gpus = tf.config.list_physical_devices("GPU")
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    elif device.startswith("gpu"):
        index = _device_number(device) if ":" in device else 0
        if index >= len(gpus):
            raise RuntimeProblem(("runtime", "device"), f"{device} asked for, but this machine has {len(gpus)} GPU(s) visible to TensorFlow")
        tf.config.set_visible_devices([gpus[index]], "GPU")


def split_cpu(devices: list[str]) -> None:
    """Split the CPU into as many logical devices as the strategy names, when it names more than exist."""
    wanted = max((_device_number(d) for d in devices if "cpu" in d.lower()), default=-1) + 1
    physical = tf.config.list_physical_devices("CPU")
    if wanted > len(physical):
        try:
            tf.config.set_logical_device_configuration(physical[0], [tf.config.LogicalDeviceConfiguration() for _ in range(wanted)])
        except RuntimeError as exc:  # TensorFlow fixes its devices at first use
            raise RuntimeProblem(("runtime", "distribute", "devices"), f"cannot split the CPU into {wanted} devices once TensorFlow has started them: {exc}") from exc


def make_strategy(spec: Runtime) -> Any:
    distribute = spec.spec
    path: KeyPath = ("runtime", "distribute")
    name = distribute.strategy
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = distribute.devices
        if devices:
            split_cpu(devices)
            return tf.distribute.MirroredStrategy(devices=[d if d.startswith("/") else f"/{d}" for d in devices])
        return tf.distribute.MirroredStrategy()
    cluster = os.environ.get("TF_CONFIG")
    if name == "multi_worker":
        if not cluster:
            raise RuntimeProblem(path, "multi_worker reads the cluster from the TF_CONFIG environment variable, which is not set (see README: several machines)")
        # Fails closed: with a cluster configured, Keras 3's fit crashes inside its train step
        # (tests/test_runtime.py keeps a strict xfail on the plain-Keras case to notice a fix).
        raise RuntimeProblem(path, "Keras 3's Model.fit cannot train under MultiWorkerMirroredStrategy yet (keras-team/keras#20585, tensorflow/tensorflow#72388); for several machines use runtime.backend: jax with distribute: data_parallel (README: several machines), or mirrored on one machine")
    if name == "parameter_server":
        if not cluster or "ps" not in json.loads(cluster).get("cluster", {}):
            raise RuntimeProblem(path, "parameter_server needs TF_CONFIG describing a cluster with 'ps' (and 'chief'/'worker') tasks")
        raise RuntimeProblem(path, "Keras 3's Model.fit does not support ParameterServerStrategy; use mirrored")
    try:  # tpu
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError, RuntimeError) as exc:
        raise RuntimeProblem(path, f"no TPU found: {' '.join(str(exc).split())[:200]}") from exc
    return tf.distribute.TPUStrategy(resolver)


def configure(spec: Runtime, seed: int | None, cluster: Cluster | None = None) -> RuntimeSetup:
    """Apply the runtime section; returns the strategy (or JAX's distribution) and the manifest's record of it."""
    if spec.backend == "jax":
        from kcfg.run.jax_runtime import configure_jax

        return configure_jax(spec, seed, cluster)
    select_device(spec.device)
    if spec.deterministic:
        keras.utils.set_random_seed(0 if seed is None else seed)
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(spec.mixed_precision or "float32")
    strategy = make_strategy(spec)
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has none: it runs where TensorFlow places ops
        devices = [d.name for d in tf.config.list_logical_devices() if d.device_type in ("CPU", "GPU")]
    record = {
        "strategy": type(strategy).__name__ if spec.distribute != "none" else "none",
        "replicas": strategy.num_replicas_in_sync,
        "devices": devices,
        "precision": spec.mixed_precision or "float32",
        "deterministic": spec.deterministic,
        "backend": "tensorflow",
        "processes": 1,
    }
    return RuntimeSetup(strategy, record, seed)
