"""kcfg's own callback: the run's history, resume point and NaN guard, written after every epoch."""

from __future__ import annotations

import math
from typing import Any

import keras

from kcfg.run import resume_point
from kcfg.run.interrupts import InterruptWatch
from kcfg.run.run_dir import RunDir


class RunRecorder(keras.callbacks.Callback):
    """After each completed epoch: the resume point (weights, history.csv, manifest; see `resume_point`).

    A NaN or infinite loss stops training before its epoch is recorded, keeping the last
    good resume point.

    The batch-end check is `async_safe`: on backends Keras marks thread-safe (JAX), its
    callback thread runs it (keras-team/keras#20284), so kcfg does not make every step wait
    for its loss. A KeyboardInterrupt or NaN found there reaches `fit` before the epoch is
    recorded. TensorFlow's backend calls batch hooks on the training thread either way.
    """

    async_safe = True

    def __init__(self, run: RunDir, history: list[dict[str, Any]], interrupts: InterruptWatch) -> None:
        super().__init__()
        self.run = run
        self.interrupts = interrupts
        self.rows = history
        self.bad_loss: str | None = None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.interrupts.check()
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.bad_loss = f"loss became {float(loss)} at batch {batch}"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.interrupts.check()  # an epoch cut short by a swallowed Ctrl-C is not recorded
        if self.bad_loss is not None:
            return
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}})
        resume_point.save(self.run, self.model, epoch + 1, self.rows)
