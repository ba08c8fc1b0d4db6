"""`kcfg plot` with the real Graphviz `dot` program: SVG, PNG, PDF and dot source."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kcfg.recipe import load_recipe

from .conftest import REPO, kcfg
from .test_cli import HEAVY, modules_after

requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make setup installs it)")
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts_and_clusters(path: Path) -> tuple[str, set[str]]:
    root = ET.parse(path).getroot()
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    clusters = {g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"}
    return texts, clusters


@pytest.mark.tf  # --shapes builds the model
@requires_dot
def test_svg_names_every_layer_and_draws_submodel_clusters(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    result = kcfg("plot", "recipes/conv_autoencoder.yaml", "-o", str(out), "--nested", "--shapes")
    assert result.returncode == 0, result.stderr
    texts, clusters = svg_texts_and_clusters(out)
    plan = load_recipe(REPO / "recipes" / "conv_autoencoder.yaml").plan
    names = [*plan.model.graph.inputs, *(n for g in plan.submodels.values() for n in [*g.graph.inputs, *g.steps])]
    for name in names:
        assert name in texts.split(), name
    assert clusters == {"cluster_code", "cluster_reconstruction", "cluster_code/down16", "cluster_code/down8"}  # block uses too
    assert "down16 (conv_pool)" in texts
    assert "code (encoder)" in texts and "reconstruction (decoder)" in texts
    assert "(None, 7, 7, 8)" in texts and "(None, 28, 28, 1)" in texts
    assert "Conv2DTranspose" in texts and "UpSampling2D" in texts


@requires_dot
def test_without_nested_a_submodel_is_one_node(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    assert kcfg("plot", "recipes/conv_autoencoder.yaml", "-o", str(out)).returncode == 0
    texts, clusters = svg_texts_and_clusters(out)
    assert clusters == set()
    assert "encoder" in texts.split() and "conv1" not in texts.split()


@requires_dot
@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-")])
def test_binary_formats(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"graph{suffix}"
    result = kcfg("plot", "recipes/siamese.yaml", "-o", str(out), "--nested")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(magic) and out.stat().st_size > 1000


def test_without_graphviz_dot_source_still_works_and_images_fail_with_a_hint(tmp_path: Path) -> None:
    empty_path = {"PATH": str(tmp_path / "no-bin")}
    source = kcfg("plot", "recipes/small_resnet.yaml", "-o", str(tmp_path / "g.dot"), env=empty_path)
    assert source.returncode == 0, source.stderr
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph small_resnet {") and "block2_out" in text
    image = kcfg("plot", "recipes/small_resnet.yaml", "-o", str(tmp_path / "g.svg"), env=empty_path)
    assert image.returncode == 2
    assert image.stderr.splitlines() == [f"{tmp_path / 'g.svg'}: Graphviz's `dot` program is not installed: install it (apt-get install graphviz, brew install graphviz) or write .dot"]
    assert not (tmp_path / "g.svg").exists()


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = kcfg("plot", "recipes/small_resnet.yaml", "-o", str(tmp_path / "g.jpeg2000"))
    assert result.returncode == 2
    assert "unknown plot format '.jpeg2000'; use one of .png, .svg, .pdf, .dot" in result.stderr


def test_plot_without_shapes_imports_no_tensorflow(tmp_path: Path) -> None:
    loaded = modules_after("plot", "recipes/siamese.yaml", "-o", str(tmp_path / "g.dot"))
    assert "kcfg.builder.plot" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert (tmp_path / "g.dot").exists()
