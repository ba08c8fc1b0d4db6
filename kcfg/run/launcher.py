"""`processes: N` on this machine: start N `kcfg train` workers on 127.0.0.1 and watch them.

Each worker is the command a user would type on one machine of a cluster (`--coordinator
127.0.0.1:PORT --num-processes N --process-id I`), given the run directory and the overrides
this command resolved, so all agree on them. Process 0 prints as `kcfg train` does; the
others keep quiet unless they fail first. The launcher loads no Keras.

A worker that dies makes the others fail their next collective and exit by themselves;
any still running after `GRACE_SECONDS` are stopped (SIGTERM, then SIGKILL: a process stuck
in a collective may not answer SIGTERM). The manifest then says what happened.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from kcfg.run.cluster import Cluster, free_port, temporary_run_dir
from kcfg.run.run_dir import RunDir, RunDirError

if TYPE_CHECKING:
    from kcfg.run.training import Training

#: How long the other workers get to notice a lost one and exit by themselves.
GRACE_SECONDS = 30.0
#: How long a worker gets to exit after SIGTERM before SIGKILL.
KILL_AFTER_SECONDS = 5.0
POLL_SECONDS = 0.2
EXIT_RUN_FAILED, EXIT_INTERRUPTED = 1, 130


def worker_arguments(training: Training, cluster: Cluster) -> list[str]:
    """`kcfg train` arguments for one worker: what this command resolved, and its place in the cluster."""
    request = training.request
    arguments = ["train", str(request.recipe), "--run-dir", str(training.path)]
    for override in training.loaded.overrides:
        arguments += ["--unset", override[1:]] if override.startswith("~") else ["--set", override]
    arguments += [flag for flag, wanted in (("--safe", request.safe), ("--resume", request.resume), ("--overwrite", request.overwrite)) if wanted]
    return [*arguments, "--coordinator", cluster.coordinator, "--num-processes", str(cluster.num_processes), "--process-id", str(cluster.process_id)]


class Workers:
    """The running worker processes, process 0 first."""

    def __init__(self, training: Training, count: int, logs: Path) -> None:
        coordinator = f"127.0.0.1:{free_port()}"
        self.logs = [logs / f"process-{i}.log" for i in range(count)]
        self.processes: list[subprocess.Popen[bytes]] = []
        for i in range(count):
            command = [sys.executable, "-m", "kcfg", *worker_arguments(training, Cluster(coordinator, count, i))]
            with self.logs[i].open("wb") as log:
                # a session of its own: the terminal's Ctrl-C reaches the launcher, which passes it on once
                quiet = {} if i == 0 else {"stdout": subprocess.DEVNULL, "stderr": log}
                self.processes.append(subprocess.Popen(command, start_new_session=True, **quiet))  # type: ignore[call-overload]

    def codes(self) -> list[int | None]:
        return [p.poll() for p in self.processes]

    def signal(self, signum: int) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signum)

    def wait(self, seconds: float) -> bool:
        """Wait until every worker has exited, at most `seconds`; whether they all have."""
        deadline = time.monotonic() + seconds
        while any(code is None for code in self.codes()) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        return all(code is not None for code in self.codes())

    def stop(self) -> None:
        """SIGTERM, then SIGKILL what is left; every worker is gone afterwards."""
        self.signal(signal.SIGTERM)
        if not self.wait(KILL_AFTER_SECONDS):
            self.signal(signal.SIGKILL)
            for process in self.processes:
                process.wait()

    def remove_temporary_runs(self) -> None:
        """The throwaway run directories of workers that could not remove their own (they were killed)."""
        for i, process in enumerate(self.processes[1:], start=1):
            shutil.rmtree(temporary_run_dir(i, process.pid), ignore_errors=True)

    def tail(self, index: int, lines: int = 20) -> str:
        if not self.logs[index].is_file():
            return ""
        return "\n".join(self.logs[index].read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM to the launcher stops its workers too, as Ctrl-C does."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def launch_local(training: Training, report: Callable[[str], None]) -> int:
    """Run `training` as `processes` workers on this machine; the exit code for `kcfg train`."""
    count = training.workers_to_start
    with tempfile.TemporaryDirectory(prefix="kcfg-workers-") as logs, terminate_as_interrupt():
        workers = Workers(training, count, Path(logs))
        try:
            return watch(training, workers, count, report)
        finally:
            workers.remove_temporary_runs()


def watch(training: Training, workers: Workers, count: int, report: Callable[[str], None]) -> int:
    """Wait for the workers; stop the rest when one fails or the launcher is interrupted."""
    try:
        while all(code in (None, 0) for code in workers.codes()) and any(code is None for code in workers.codes()):
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        workers.signal(signal.SIGINT)
        if not workers.wait(GRACE_SECONDS):
            workers.stop()
        mark(training, "interrupted", "interrupted")
        return EXIT_INTERRUPTED
    codes = workers.codes()
    failures = [i for i, code in enumerate(codes) if code not in (None, 0)]
    if not failures:
        return 0
    # seen together, a worker ended by a signal is the cause and the others' failures its effect
    failed = min(failures, key=lambda i: (int(codes[i] or 0) >= 0, i))
    report(f"kcfg train: worker {failed} of {count} exited with code {codes[failed]}; stopping the others")
    if failed != 0 and workers.tail(failed):
        report(workers.tail(failed))
    if not workers.wait(GRACE_SECONDS):
        workers.stop()
    mark(training, "failed", f"worker {failed} of {count} exited with code {codes[failed]}")
    chief = workers.codes()[0]
    return chief if chief in (2, EXIT_INTERRUPTED) else EXIT_RUN_FAILED


def mark(training: Training, status: str, reason: str) -> None:
    """Record how the run ended when process 0 could not (it was killed, or never started the run)."""
    try:
        run = RunDir(training.path)
        if run.manifest().get("status") == "running":
            run.update_manifest(status=status, failure=reason)
    except RunDirError:
        pass  # the run directory was never made
