"""Run directories: nothing of a user's deleted, nothing run because a run folder names it, faults end in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError  # noqa: E402
from kcfg.run import RunDirError, TrainedRun, Training, TrainingRequest  # noqa: E402
from kcfg.run.run_dir import RunDir, RunLock  # noqa: E402

from .conftest import REPO, kcfg  # noqa: E402

pytestmark = pytest.mark.slow

TINY = """seed: 3
model:
  inputs: {x: [4]}
  layers:
    hidden: {type: Dense, units: 8, activation: relu}
    y: {type: Dense, units: 1}
compile: {optimizer: adam, loss: mse}
fit: {batch_size: 16, epochs: 2, verbose: 0}
data:
  train: {source: synthetic, samples: 64, seed: 1}
"""


def train(recipe: Path, run: Path, **request: object) -> RunDir:
    finished, _ = Training.open(TrainingRequest(recipe, run_dir=run, **request)).run(notes=lambda notes: None)  # type: ignore[arg-type]
    return finished


def test_overwrite_replaces_only_a_kcfg_run(write, tmp_path: Path) -> None:
    recipe = write("r.yaml", TINY)
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    with pytest.raises(RunDirError, match="is not a kcfg run"):
        train(recipe, folder, overwrite=True)
    assert (folder / "thesis.tex").read_text() == "years of work"
    with pytest.raises(RunDirError, match="or holds the recipe"):  # a run folder that holds the recipe itself
        (tmp_path / "manifest.json").write_text(json.dumps({"kcfg": "0.1.0", "timestamp": "t"}))
        train(recipe, tmp_path, overwrite=True)
    assert recipe.is_file()
    run = train(recipe, tmp_path / "run")
    assert train(recipe, run.path, overwrite=True).path == run.path  # a kcfg run is replaced


def test_run_directories_that_are_files_or_links_are_refused(write, tmp_path: Path) -> None:
    recipe = write("r.yaml", TINY)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RunDirError, match="is a file, not a folder"):
        train(recipe, tmp_path / "afile")
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(RunDirError, match="is a symbolic link"):
        train(recipe, tmp_path / "link")


def test_a_run_being_trained_cannot_be_resumed_twice(write, tmp_path: Path) -> None:
    recipe = write("r.yaml", TINY)
    run = train(recipe, tmp_path / "run")
    held = RunLock(run.path)  # another process training it
    try:
        with pytest.raises(RunDirError, match="being trained by another kcfg process"):
            train(recipe, run.path, resume=True)
    finally:
        held.release()
    assert json.loads((run.path / "manifest.json").read_text())["status"] == "completed"  # not marked by the refused one


def test_two_concurrent_resumes_of_one_run_one_wins(write, tmp_path: Path) -> None:
    recipe = write("r.yaml", TINY.replace("samples: 64", "samples: 64000").replace("epochs: 2", "epochs: 3"))  # ~10 s of training
    run = tmp_path / "run"
    RunDir(run).path.mkdir()
    (run / "manifest.json").write_text(json.dumps({"kcfg": "0.1.0", "timestamp": "t", "status": "interrupted", "epochs_completed": 0, "overrides": []}))
    args = ["train", str(recipe), "--resume", "--run-dir", str(run)]
    # the first is another process (the lock is between processes); the second runs in this one
    first = subprocess.Popen([sys.executable, "-m", "kcfg", *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while json.loads((run / "manifest.json").read_text()).get("status") != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    second = kcfg(*args)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    assert second.returncode == 2 and "being trained by another kcfg process" in second.stderr, second.stderr
    assert json.loads((run / "manifest.json").read_text())["status"] == "completed"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("manifest.json", "{not json", "manifest.json cannot be read"),
    ("manifest.json", "[1, 2]", "is not a kcfg manifest"),
    ("history.csv", "epoch,loss\n0,abc\n", "history.csv cannot be read"),
    ("resume", b"\x89HDF\r\n garbage", "cannot read the resume point"),
])
def test_corrupt_run_files_are_one_line_errors(write, tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    recipe = write("r.yaml", TINY)
    run = train(recipe, tmp_path / "run").path
    target = run / (json.loads((run / "manifest.json").read_text())["resume_weights"] if name == "resume" else name)
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    with pytest.raises(RunDirError, match=message):
        train(recipe, run, resume=True)


def test_a_read_only_run_directory_is_an_error_that_names_it(write, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders; the disk-full test covers write failures")
    recipe = write("r.yaml", TINY)
    run = train(recipe, tmp_path / "run").path
    run.chmod(0o500)
    try:
        with pytest.raises(RunDirError, match=str(run)):
            train(recipe, run, resume=True)
    finally:
        run.chmod(0o700)


def test_a_full_disk_stops_with_one_line_and_a_resumable_run(write, tmp_path: Path) -> None:
    disk = tmp_path / "small"
    disk.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not let the test mount a small tmpfs (needs root in a privileged container)")
    try:
        recipe = write("r.yaml", TINY.replace("units: 8", "units: 400").replace("epochs: 2", "epochs: 3"))  # ~100 KB of weights, Adam x3
        with pytest.raises(RunDirError, match="not enough disk space for the resume point|cannot write"):
            train(recipe, disk / "run")
        manifest = json.loads((disk / "run" / "manifest.json").read_text())
        assert manifest["status"] == "failed" and not list((disk / "run").glob(".tmp-*"))
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_run_directory_never_makes_kcfg_import_code(write, tmp_path: Path) -> None:
    write("spy.py", "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('ran')\n")
    recipe = write("r.yaml", TINY)
    run = train(recipe, tmp_path / "run", sets=["plugins=[spy]"])
    assert (tmp_path / "RAN").is_file()  # the user asked for it on the command line: it ran
    (tmp_path / "RAN").unlink()
    with pytest.raises(RunDirError, match=r"would import code \(plugin spy\).*repeat the overrides yourself"):
        train(recipe, run.path, resume=True)
    with pytest.raises(RunDirError, match=r"name the recipe file that lists it with --recipe"):
        TrainedRun.open(run)
    assert not (tmp_path / "RAN").exists()
    manifest = json.loads((run.path / "manifest.json").read_text())
    manifest["recipe"] = str(write("evil.yaml", "plugins: [spy]\n" + TINY))
    (run.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RunDirError, match="would import code"):
        TrainedRun.open(run)
    assert not (tmp_path / "RAN").exists()


def test_csv_logger_keeps_its_rows_when_a_run_resumes(write, tmp_path: Path) -> None:
    text = TINY.replace("epochs: 2", "epochs: 3") + "callbacks:\n  - {type: CSVLogger, filename: '${run_dir}/log.csv'}\n"
    recipe = write("r.yaml", text)
    run = tmp_path / "run"
    train(recipe, run, sets=["fit.epochs=2"])
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(status="interrupted", overrides=[])
    (run / "manifest.json").write_text(json.dumps(manifest))
    train(recipe, run, resume=True)
    assert [line.split(",")[0] for line in (run / "log.csv").read_text().splitlines()[1:]] == ["0", "1", "2"]


def test_recipe_errors_still_come_first(write, tmp_path: Path) -> None:
    with pytest.raises(RecipeError):
        train(write("r.yaml", TINY.replace("units: 8", "units: eight")), tmp_path / "run")
    assert not (tmp_path / "run").exists()
