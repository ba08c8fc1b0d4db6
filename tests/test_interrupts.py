"""Ctrl-C during fit: a KeyboardInterrupt swallowed where it landed (as TensorFlow's C++ code can) is raised again."""

from __future__ import annotations

import os
import signal

import pytest

from kcfg.run.interrupts import InterruptWatch


def test_a_swallowed_interrupt_is_raised_again_at_the_next_check() -> None:
    with InterruptWatch() as watch:
        watch.check()  # nothing asked yet
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            pass  # what a finalizer or a C++ iterator does with it
        with pytest.raises(KeyboardInterrupt):
            watch.check()


def test_the_previous_handler_is_back_afterwards() -> None:
    before = signal.getsignal(signal.SIGINT)
    with InterruptWatch():
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before
