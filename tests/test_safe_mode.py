"""--safe: no code, no network, no file written outside the run directory or read outside the recipe's folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kcfg.recipe import RecipeError, load_recipe

from .conftest import kcfg

MODEL = "model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, units: 1}\n"


def refused(file: Path) -> list[str]:
    """The --safe errors of a recipe that validates without --safe."""
    load_recipe(file)
    with pytest.raises(RecipeError) as caught:
        load_recipe(file, safe=True)
    return [f"{p.key}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(("extra", "expected"), [
    ("plugins: [os]\n", "plugins: refused in --safe mode (KCFG_SAFE=1): plugins import Python code"),
    ("data:\n  train: {source: python, function: 'os:getcwd'}\n", "data.train.source: refused in --safe mode (KCFG_SAFE=1): python data sources run code"),
    ("data:\n  train: {source: npz, path: ../elsewhere.npz}\n", "data.train.path: refused in --safe mode (KCFG_SAFE=1): data must be read from the recipe's folder"),
    ("data:\n  train: {source: csv, path: /etc/passwd}\n", "data.train.path: refused in --safe mode (KCFG_SAFE=1): data must be read from the recipe's folder"),
    ("callbacks:\n  - {type: RemoteMonitor, root: 'http://example.com'}\n", "callbacks[0]: refused in --safe mode (KCFG_SAFE=1): RemoteMonitor is not among the callbacks --safe allows"),
    ("callbacks:\n  - {type: BackupAndRestore, backup_dir: /home}\n", "callbacks[0]: refused in --safe mode (KCFG_SAFE=1): callbacks write only inside the run directory"),
    ("callbacks:\n  - {type: CSVLogger, filename: '${env:HOME}/log.csv'}\n", "callbacks[0]: refused in --safe mode (KCFG_SAFE=1): callbacks write only inside the run directory"),
    ("callbacks:\n  - {type: ModelCheckpoint, filepath: '${run_dir}/../../m.keras'}\n", "callbacks[0]: refused in --safe mode (KCFG_SAFE=1): callbacks write only inside the run directory"),
    ("runtime: {run_dir: /tmp/anywhere}\n", "runtime.run_dir: refused in --safe mode (KCFG_SAFE=1): the run directory must stay below the working folder"),
], ids=["plugin", "python-source", "data-outside", "data-absolute", "network-callback", "deleting-callback", "env-path", "escaping-path", "run-dir"])
def test_safe_refuses(write, extra: str, expected: str) -> None:
    assert any(line.startswith(expected) for line in refused(write("r.yaml", MODEL + extra))), refused(write("r.yaml", MODEL + extra))


def test_safe_refuses_layers_that_load_code_or_read_files(write) -> None:
    text = "model:\n  inputs: {x: {shape: [1], dtype: string}}\n  layers:\n    lookup: {type: StringLookup, vocabulary: /etc/words}\n    saved: {type: TFSMLayer, filepath: model_dir}\n"
    lines = refused(write("r.yaml", text))
    assert "model.layers.lookup: refused in --safe mode (KCFG_SAFE=1): a layer may not read files; give the vocabulary as a list" in lines
    assert "model.layers.saved: refused in --safe mode (KCFG_SAFE=1): TFSMLayer loads a SavedModel graph, which runs code" in lines


def test_safe_reads_bases_only_from_the_recipe_folder(write, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(MODEL)
    child = write("inner/child.yaml", "extends: ../outside.yaml\n")
    load_recipe(child)
    with pytest.raises(RecipeError, match=r"extends: refused in --safe mode \(KCFG_SAFE=1\): bases are read only from the recipe's folder"):
        load_recipe(child, safe=True)


def test_links_out_of_the_recipe_folder_count_as_outside(write, tmp_path: Path) -> None:
    (tmp_path / "secret.npz").write_bytes(b"")
    recipe = write("inner/r.yaml", MODEL + "data:\n  train: {source: npz, path: data.npz}\n")
    (recipe.parent / "data.npz").symlink_to(tmp_path / "secret.npz")
    assert any("data must be read from the recipe's folder" in line for line in refused(recipe))


@pytest.mark.tf
def test_smoke_and_the_pytest_plugin_honour_safe(write, tmp_path: Path) -> None:
    write("spy.py", "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('ran')\n")
    write("r.yaml", "plugins: [spy]\n" + MODEL + "compile: {loss: mse}\n")
    smoke = kcfg("smoke", str(tmp_path / "r.yaml"), env={"KCFG_SAFE": "1"})
    assert smoke.returncode == 1 and "plugins: refused in --safe mode" in smoke.stderr, smoke.stderr
    # a real pytest process: the plugin loads from the installed entry point
    plugin = subprocess.run([sys.executable, "-m", "pytest", "--kcfg-smoke", "--kcfg-safe", str(tmp_path), "-q", "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert plugin.returncode == 1 and "plugins: refused in --safe mode" in plugin.stdout, plugin.stdout
    assert not (tmp_path / "RAN").exists()
