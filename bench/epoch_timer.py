"""A callback both sides of bench/train_throughput.py use: the wall time of each epoch's training steps."""

import json
import os
import time
from typing import Any

import keras


class EpochTimer(keras.callbacks.Callback):
    """Appends each epoch's step time (begin to end, before other epoch-end work) to $KCFG_BENCH_TIMES."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        elapsed = time.perf_counter() - self.start
        with open(os.environ["KCFG_BENCH_TIMES"], "a") as handle:
            handle.write(json.dumps({"epoch": epoch, "seconds": elapsed}) + "\n")
