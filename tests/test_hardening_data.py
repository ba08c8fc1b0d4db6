"""Data that cannot be read ends in one located line before training, never a hang, a crash or zero samples."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kcfg.recipe import RecipeError  # noqa: E402
from kcfg.run import Training, TrainingRequest  # noqa: E402

from .conftest import REPO, kcfg  # noqa: E402

MODEL = """model:
  inputs: {x: [4]}
  layers:
    y: {type: Dense, units: 1}
compile: {optimizer: adam, loss: mse}
fit: {batch_size: 4, epochs: 1, verbose: 0}
"""


def error_of(recipe: Path, run: Path) -> str:
    with pytest.raises(RecipeError) as caught:
        Training.open(TrainingRequest(recipe, run_dir=run)).run(notes=lambda notes: None)
    (problem,) = caught.value.problems
    return str(problem)


def promising_npy(shape: tuple[int, ...]) -> bytes:
    """A .npy file whose header promises `shape` floats and holds 64 bytes."""
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(64)


@pytest.mark.parametrize(("name", "make", "message"), [
    ("zero.npz", lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    ("fifo.npz", lambda p: os.mkfifo(p), "is not a regular file"),
    ("huge.npy", lambda p: p.write_bytes(promising_npy((1_000_000, 1_000_000))), "holds an array of 3725.3 GiB, more than this machine's memory"),
    ("bomb.npz", lambda p: _zip(p, {"x.npy": promising_npy((4_000_000_000, 4))}), "(x.npy) holds an array of 59.6 GiB, more than this machine's memory"),
    ("objects.npz", lambda p: np.savez(p, x=np.array([{"a": 1}], dtype=object)), "Object arrays cannot be loaded when allow_pickle=False"),
    ("text.npz", lambda p: p.write_text("not an archive"), "is not a readable .npz or .npy file"),
], ids=["device", "fifo", "npy-header", "zip-bomb", "object-array", "not-npz"])
def test_array_files_that_cannot_be_read(write, tmp_path: Path, name: str, make, message: str) -> None:
    make(tmp_path / name)
    line = error_of(write("r.yaml", MODEL + f"data:\n  train: {{source: npz, path: {name}}}\n"), tmp_path / "run")
    assert ":8:" in line and "data.train.path: " in line and message in line, line
    assert not (tmp_path / "run").exists()


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def test_a_csv_with_a_header_only_has_no_samples(write, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,b,c,d,y\n")
    line = error_of(write("r.yaml", MODEL + "data:\n  train: {source: csv, path: d.csv, y: {y: y}}\n"), tmp_path / "run")
    assert "data.train: the data has no samples" in line, line


def test_a_corrupt_image_is_a_data_error(write, tmp_path: Path) -> None:
    folder = tmp_path / "images" / "cats"
    folder.mkdir(parents=True)
    keras.utils.save_img(folder / "good.png", np.zeros((8, 8, 3)))
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    text = "model:\n  inputs: {x: [8, 8, 3]}\n  layers:\n    f: {type: Flatten}\n    y: {type: Dense, units: 1}\ncompile: {loss: mse}\nfit: {batch_size: 2, epochs: 1, verbose: 0}\n"
    line = error_of(write("r.yaml", text + "data:\n  train: {source: images, path: images, image_size: [8, 8]}\n"), tmp_path / "run")
    assert "data.train: Keras rejected the first training step:" in line, line


@pytest.mark.parametrize(("setting", "message"), [
    ("seed: 1000000000000000000000000000000\n", "seed: must be <= 4294967295"),
    ("fit: {batch_size: 1000000000000000000000000000000}\n", "fit.batch_size: must be <= 2147483647"),
    ("data:\n  train: {source: images, path: x, image_size: [60000, 60000]}\n", "data.train.image_size[0]: must be <= 16384"),
], ids=["seed", "batch-size", "image-size"])
def test_numbers_no_machine_can_honour_are_validate_errors(write, setting: str, message: str) -> None:
    from kcfg.recipe import load_recipe

    with pytest.raises(RecipeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_recipe(write("r.yaml", MODEL.replace("fit: {batch_size: 4, epochs: 1, verbose: 0}\n", "") + setting))


@pytest.mark.slow
def test_a_layer_too_large_for_memory_is_located(write) -> None:
    """A subprocess: the memory limit is its own, and TensorFlow's failed allocation must not touch this one."""
    recipe = write("big.yaml", "model:\n  inputs: {x: [4]}\n  layers:\n    big: {type: Dense, units: 2000000000}\n")

    def limit() -> None:  # TensorFlow then reports the allocation it cannot make, as it would on a small machine
        resource.setrlimit(resource.RLIMIT_AS, (12 << 30, 12 << 30))

    result = subprocess.run([sys.executable, "-m", "kcfg", "summary", str(recipe)], cwd=REPO, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "big.yaml:4:5: model.layers.big: not enough memory: OOM when allocating tensor with shape[4,2000000000]" in result.stderr


def test_importing_a_config_that_is_not_a_model(tmp_path: Path) -> None:
    from kcfg.importer import ImportProblem, read_model_config

    archive = tmp_path / "list.keras"
    _zip(archive, {"config.json": b"[1, 2]"})
    with pytest.raises(ImportProblem, match="its config.json holds a list, not a saved model"):
        read_model_config(archive)


def test_a_folder_without_recipes_fails_validate_and_smoke(tmp_path: Path) -> None:
    for command in ("validate", "smoke"):
        result = kcfg(command, str(tmp_path))
        assert result.returncode == 2 and f"{tmp_path}: no recipe files (*.yaml, *.yml) in this folder" in result.stderr, result.stderr


