"""Shared test helpers: the repository layout, the `kcfg` command in-process and as a real
subprocess, and the `tf` marker that keeps `make check` free of TensorFlow."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from _pytest.mark.expression import Expression

REPO = Path(__file__).resolve().parent.parent
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))

# kcfg's main() sets this before TensorFlow loads, and TensorFlow's C++ code reads it once, when it
# loads: set it here too, so that the C++ log level of an in-process `kcfg` call is the command's,
# whichever test loads TensorFlow first. `user_environment()` leaves it out of subprocesses.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: A test module that imports Keras or TensorFlow at its top level needs TensorFlow to be collected.
TF_IMPORT = re.compile(r"^(?:import (?:keras|tensorflow)\b|from (?:keras|tensorflow)\b|\w+ = pytest\.importorskip\(\"(?:keras|tensorflow)\"\))", re.M)

#: Variables `import tensorflow` (or the line above) sets in this (pytest) process, which a user's shell would not pass on.
SET_BY_TENSORFLOW = ("TF_CPP_MIN_LOG_LEVEL", "TF2_BEHAVIOR", "TPU_ML_PLATFORM", "TPU_ML_PLATFORM_VERSION", "TPU_SKIP_MDS_QUERY", "HDF5_PLUGIN_PATH", "ENABLE_RUNTIME_UPTIME_TELEMETRY")


def user_environment() -> dict[str, str]:
    """This process's environment without what importing TensorFlow here added to it."""
    return {k: v for k, v in os.environ.items() if k not in SET_BY_TENSORFLOW}


def run_kcfg(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m kcfg ARGS` in a subprocess, as a user's shell would.

    For what only a separate process shows: which modules a command imports, signals, the
    environment as read at start-up (KERAS_HOME), devices TensorFlow fixes at first use, output
    that a library's logging handler sends to the stream it found at import. Everything else
    calls `kcfg()`, which runs the same `main` without importing TensorFlow again (seconds a call).
    """
    full_env = {**user_environment(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "kcfg", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


def streamed(feed: Any) -> tuple[Any, ...]:
    """The parts (x, y[, sample_weight]) of a batched stream feed, every batch concatenated in order."""
    import numpy as np

    return tuple(np.concatenate(part) for part in zip(*feed.x.as_numpy_iterator()))


@dataclass
class Ran:
    """What one in-process `kcfg` call did, named as `subprocess.run` names it."""

    returncode: int
    stdout: str = ""
    stderr: str = ""


def kcfg(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> Ran:
    """Run `kcfg ARGS` in this process through the console entry point `kcfg.cli.app.main`.

    The same code as `run_kcfg`'s subprocess, minus starting Python and importing TensorFlow
    (about 4 s a call on 2 cores). Exit code, stdout and stderr are what the process would give:
    file descriptors 1 and 2 are captured (TensorFlow's C++ code writes to fd 2 directly) and
    Python warnings are printed under a fresh process's filters, not recorded by pytest.
    """
    from kcfg.cli.app import main

    ran = Ran(returncode=0)
    with process_state(args, cwd, env), captured_output(ran), process_warnings():
        try:
            main(list(args))
        except SystemExit as exc:
            ran.returncode = exit_code(exc)
    return ran


def exit_code(exc: SystemExit) -> int:
    """The status a process exiting with `exc` would have."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


@contextlib.contextmanager
def process_state(args: tuple[str, ...], cwd: Path, env: dict[str, str] | None) -> Iterator[None]:
    """What a fresh `kcfg` process starts from, put back afterwards: cwd, argv, env, sys.path, Keras's globals."""
    saved_env, saved_argv, saved_path, saved_cwd = dict(os.environ), sys.argv, list(sys.path), Path.cwd()
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)  # main sets it unless --debug, as in a user's shell
    os.environ.update(env or {})
    sys.argv = ["kcfg", *args]  # train records its command line in the manifest
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.environ.clear()
        os.environ.update(saved_env)
        reset_keras()


def reset_keras() -> None:
    """Undo the global Keras state a command leaves: the dtype policy and the graph's layer names.

    Only when a command loaded Keras: importing it here would put TensorFlow into `make check`.
    """
    if "keras" not in sys.modules:
        return
    import keras

    keras.mixed_precision.set_global_policy("float32")
    keras.utils.clear_session()


@contextlib.contextmanager
def captured_output(ran: Ran) -> Iterator[None]:
    """Send file descriptors 1 and 2 (and sys.stdout/err) to files and read them into `ran`."""
    sys.stdout.flush()
    sys.stderr.flush()
    streams = sys.stdout, sys.stderr
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # closed below
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        try:
            yield
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.close()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            ran.stdout, ran.stderr = read_back(out), read_back(err)


def read_back(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", "replace")


@contextlib.contextmanager
def process_warnings() -> Iterator[None]:
    """Python warnings as `python -m kcfg` shows them: Python's default filters, printed to stderr.

    pytest records warnings (and applies pyproject's filterwarnings); a test that says "stderr is
    empty" must see a warning the command would print.
    """
    with warnings.catch_warnings():
        warnings.resetwarnings()  # also makes every location warn again, as in a new process
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__", append=True)
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=category, append=True)
        warnings.showwarning = show_warning
        yield


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: IO[str] | None = None, line: str | None = None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@pytest.fixture
def write(tmp_path: Path):
    """Write a file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


# --- the `tf` marker: `make check` (pytest -m "not tf") runs what needs no TensorFlow ---


def imports_tensorflow(path: Path) -> bool:
    """Whether a test module imports Keras or TensorFlow at its top level."""
    return path.suffix == ".py" and path.name.startswith("test_") and bool(TF_IMPORT.search(path.read_text(encoding="utf-8")))


def deselects_tf(config: pytest.Config) -> bool:
    """Whether `-m` leaves out tests marked `tf`, whether or not they carry other marks too."""
    markexpr = config.getoption("markexpr")
    if not markexpr:
        return False
    expression = Expression.compile(markexpr)

    def selected(others: bool) -> bool:
        """Whether a test marked tf is selected, its other marks all present (True) or all absent."""
        return expression.evaluate(lambda name, /, **_: name == "tf" or others)

    return not (selected(False) or selected(True))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Do not even import a TensorFlow test module when the run leaves `tf` tests out."""
    if deselects_tf(config) and imports_tensorflow(collection_path):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a module that imports Keras or TensorFlow `tf`."""
    for item in items:
        if imports_tensorflow(item.path):
            item.add_marker(pytest.mark.tf)


def pytest_collection_finish(session: pytest.Session) -> None:
    if deselects_tf(session.config) and "tensorflow" in sys.modules:
        raise pytest.UsageError("collecting the TensorFlow-free tests imported TensorFlow: a test module imports it indirectly; mark it tf or import lazily")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The TensorFlow-free run fails if anything loaded TensorFlow after all (a fixture the per-test check cannot see)."""
    if deselects_tf(session.config) and "tensorflow" in sys.modules and session.exitstatus == pytest.ExitCode.OK:
        sys.stderr.write("error: the tests run without the tf marker imported TensorFlow (a fixture?): mark its tests tf\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _tensorflow_only_where_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that loads TensorFlow must be marked `tf`, or `make check` would quietly slow down."""
    loaded_before = "tensorflow" in sys.modules
    yield
    if not loaded_before and "tensorflow" in sys.modules and request.node.get_closest_marker("tf") is None:
        pytest.fail(f"{request.node.nodeid} imported TensorFlow but is not marked tf", pytrace=False)
