"""Ctrl-C during `fit`: an interrupt that TensorFlow's C++ code swallows is raised again at the next batch.

Python raises KeyboardInterrupt wherever the main thread happens to be when SIGINT arrives;
inside a `tf.data` iterator or an object's finalizer it can be turned into an end of data
or printed and dropped, and training then finishes as if nothing had been asked. The
handler here also remembers the request, and kcfg's recorder checks it after every batch
and before it records an epoch, so an interrupted run always ends `interrupted` (exit 130).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class InterruptWatch:
    """Within `with`: SIGINT raises KeyboardInterrupt and is remembered until `check()` raises it again."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        raise KeyboardInterrupt

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __enter__(self) -> InterruptWatch:
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
