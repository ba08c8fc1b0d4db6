"""One data_parallel worker's part in a cluster: join it, agree with process 0, notice a lost peer, leave.

Keras's own multi-host path (JAX backend): `keras.distribution.initialize` starts or reaches
the coordination service and gloo carries the CPU collectives. Every process runs the same
steps: the same global batches (Keras gives each its slice), the same collective saves (the
non-chief ones into a temporary run directory). What only process 0 has (the run directory's
resume point, a seed drawn there) is broadcast from it.

A process that dies makes the others' next collective fail ("connection reset by peer");
that error becomes `PeerLost`, and the process exits at once (`abandon_cluster`) instead of
waiting in JAX's shutdown barrier for the lost process's heartbeat to time out.
A machine that vanishes without closing its connections is caught by that heartbeat
(100 s, JAX's default), which ends the remaining processes.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from kcfg.files import write_atomically
from kcfg.run.cluster import Cluster
from kcfg.run.resume_point import WEIGHTS_PATTERN
from kcfg.run.run_dir import RunDir

#: How a collective fails when another process is gone (gloo, the coordination service, gRPC).
_LOST_PEER = re.compile(r"gloo|connection (reset|closed|refused)|coordination service|heartbeat|barrier|DEADLINE_EXCEEDED|UNAVAILABLE", re.IGNORECASE)


class PeerLost(Exception):
    """Another process of the cluster stopped: this one cannot go on alone."""


def join(cluster: Cluster) -> None:
    """Join the cluster; call once per process, after seeding and before anything runs on JAX."""
    import keras

    keras.distribution.initialize(cluster.coordinator, cluster.num_processes, cluster.process_id)


def agree(values: np.ndarray) -> np.ndarray:
    """Process 0's `values` in every process (each passes an array of the same shape and dtype)."""
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.broadcast_one_to_all(values))


def agree_on_seed() -> int:
    """A seed drawn by process 0, for a recipe without one."""
    return int(agree(np.array([secrets.randbelow(2**31)], dtype=np.int64))[0])


def share_resume_point(run: RunDir, cluster: Cluster) -> None:
    """Copy process 0's resume point (epochs completed, weights) into every other process's run directory."""
    payload = b""
    completed = 0
    if cluster.is_chief:
        manifest = run.manifest()
        completed = int(manifest.get("epochs_completed", 0))
        weights = run.path / str(manifest.get("resume_weights", ""))
        payload = weights.read_bytes() if completed and weights.is_file() else b""
    completed, size = (int(v) for v in agree(np.array([completed, len(payload)], dtype=np.int64)))
    data = np.frombuffer(payload, dtype=np.uint8) if cluster.is_chief else np.zeros(size, dtype=np.uint8)
    shared = agree(data).tobytes() if size else b""
    if not cluster.is_chief:
        name = WEIGHTS_PATTERN.format(epochs=completed)
        if shared:
            write_atomically(run.path / name, shared)
        run.update_manifest(epochs_completed=completed, resume_weights=name)


@contextmanager
def collective_failures(cluster: Cluster | None) -> Iterator[None]:
    """Steps that need every process: an error saying another one is gone becomes `PeerLost`."""
    try:
        yield
    except PeerLost:
        raise
    except Exception as exc:
        if cluster is None or not _LOST_PEER.search(str(exc)):
            raise
        message = " ".join(str(exc).split())
        raise PeerLost(f"{cluster} lost the other processes ({message[:200]})") from exc


def leave() -> None:
    """Leave the cluster together, so process 0 can go on alone (evaluate the saved model)."""
    import jax

    jax.distributed.shutdown()  # type: ignore[no-untyped-call]


def abandon_cluster(code: int) -> None:
    """Exit now, skipping JAX's shutdown barrier (it would wait minutes for a process that is gone)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
