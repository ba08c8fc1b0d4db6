"""Where one data_parallel worker stands: the coordinator's address, how many processes, which one this is.

The same three values Keras reads from `KERAS_DISTRIBUTION_JOB_ADDRESSES`,
`KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`; `kcfg train
--coordinator HOST:PORT --num-processes N --process-id I` gives them, and the launchers
(`launcher.py`, `ray_launcher.py`) start one `kcfg train` per process with them.
"""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cluster:
    coordinator: str  # HOST:PORT of process 0, which runs the coordination service
    num_processes: int
    process_id: int

    @property
    def is_chief(self) -> bool:
        """Process 0 writes the run directory; the others write theirs to a temporary folder."""
        return self.process_id == 0

    def problem(self) -> str | None:
        """What is wrong with the three values as given, if anything."""
        host, _, port = self.coordinator.rpartition(":")
        if not host or not port.isdigit():
            return f"--coordinator takes HOST:PORT (process 0's address and a free port), got {self.coordinator!r}"
        if self.num_processes < 1 or not 0 <= self.process_id < self.num_processes:
            return f"--process-id must be 0 to {self.num_processes - 1} for --num-processes {self.num_processes}, got {self.process_id}"
        return None

    def __str__(self) -> str:
        return f"process {self.process_id} of {self.num_processes}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for the coordination service of a cluster started here."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def temporary_run_dir(process_id: int, pid: int) -> Path:
    """Where worker `process_id` (a process other than 0) with this pid writes its throwaway run directory."""
    return Path(tempfile.gettempdir(), f"kcfg-process-{process_id}-{pid}")
