"""Import Keras and TensorFlow without TensorFlow's C++ start-up chatter on stderr.

Keras loads the backend `KERAS_BACKEND` names (`kcfg train` sets it from the recipe's
`runtime.backend`); TensorFlow loads on every backend, since kcfg feeds `tf.data` to Keras.

TensorFlow 2.19+ logs oneDNN, CPU-feature and CUDA-probing lines through absl before
`TF_CPP_MIN_LOG_LEVEL` takes effect (tensorflow/tensorflow#100442). kcfg captures file
descriptor 2 while TensorFlow loads and finds its devices, then passes on every line that
is not such a notice, so real errors still reach the user.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_NOTICE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} [\d:. ]+\d+ [\w.]+:\d+\]"
    r"|E\d{4} [\d:. ]+\d+ cuda\w*\.cc:\d+\]"
    r"|To enable the following instructions:)"
)


def quiet() -> bool:
    """Whether TensorFlow's notices are unwanted (no --debug): `main` sets TF_CPP_MIN_LOG_LEVEL then."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL") in ("2", "3")


@contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Capture file descriptor 2 (C++ logging included); the list holds its lines once the block ends."""
    sys.stderr.flush()
    saved = os.dup(2)
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines.extend(captured.read().decode("utf-8", "replace").splitlines(keepends=True))


def import_keras_quietly() -> Any:
    """`import keras` (on its chosen backend) and TensorFlow with start-up notices dropped; returns Keras."""
    if "keras" in sys.modules or not quiet():
        import keras

        return keras
    with captured_stderr() as lines:
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs too; physical only, so devices stay configurable
        # (JAX's devices are left alone: a data_parallel worker must join its cluster before JAX starts them)
        tf.get_logger().setLevel("ERROR")  # retracing notices when `kcfg smoke` builds many models
    sys.stderr.write("".join(line for line in lines if not _NOTICE.match(line)))
    return keras
