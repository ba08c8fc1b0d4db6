"""The distribution: `kcfg-keras` on the package index, the `kcfg` command, the schema inside the wheel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` builds, from a clean copy of the source (no build/ leftovers; the test venv's setuptools, no network)."""
    source = tmp_path_factory.mktemp("source") / "kcfg"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "runs", "build", "*.egg-info", "__pycache__", ".*cache"))
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(folder), str(source)], check=True, capture_output=True, timeout=300)
    [built] = folder.glob("*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_the_schema_the_catalog_and_the_kcfg_command(wheel: Path) -> None:
    assert wheel.name.startswith("kcfg_keras-")  # the index's "kcfg" is an unrelated KDE tool
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        schema = json.loads(archive.read("kcfg/schemas/recipe.schema.json"))
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert schema == json.loads((REPO / "schemas" / "recipe.schema.json").read_text())
    assert "kcfg/recipe/keras_catalog.json" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/", "bench/"))]
    assert "Name: kcfg-keras" in metadata
    assert {"Provides-Extra: export", "Provides-Extra: tracking", "Provides-Extra: all"} <= set(metadata.splitlines())
    assert "kcfg = kcfg.cli.app:main" in entry_points


@pytest.mark.slow
def test_kcfg_works_from_the_installed_wheel_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    # its dependencies come from the test environment; kcfg itself only from the wheel
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    kcfg = venv / "bin" / "kcfg"
    help_text = subprocess.run([str(kcfg), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert help_text.returncode == 0 and "export" in help_text.stdout, help_text.stderr
    where = subprocess.run([str(python), "-c", "import kcfg, importlib.resources as r; print(kcfg.__file__); print(r.files('kcfg').joinpath('schemas/recipe.schema.json').is_file())"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert where.stdout.split() == [str(Path(site, "kcfg", "__init__.py")), "True"]
    recipe = tmp_path / "r.yaml"
    recipe.write_text((REPO / "recipes" / "mnist_mlp.yaml").read_text())
    validated = subprocess.run([str(kcfg), "validate", str(recipe)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert validated.returncode == 0 and validated.stdout.strip() == f"{recipe}: ok", validated.stderr
