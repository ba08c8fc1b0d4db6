"""`kcfg runs`, `curves`, `report` and `diff` on real runs: the files they write are read back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kcfg.cli.app import main

from .conftest import REPO, kcfg
from .test_cli import HEAVY, modules_after

DIGITS = REPO / "recipes" / "digits_cnn.yaml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short digits runs under one folder: `narrow` (hidden.units=32) and `wide` (the recipe's 64)."""
    from kcfg.run import Training, TrainingRequest

    root = tmp_path_factory.mktemp("runs")
    for name, sets in (("narrow", ["model.layers.hidden.units=32"]), ("wide", [])):
        request = TrainingRequest(DIGITS, sets=["fit.epochs=3", "fit.verbose=0", *sets], run_dir=root / name)
        Training.open(request).run(notes=lambda problems: None)
    return root


def kcfg_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("args", [("runs", "recipes"), ("diff", str(DIGITS), "recipes/digits_tune.yaml")])
def test_runs_and_diff_of_recipes_import_no_tensorflow(args: tuple[str, ...]) -> None:
    loaded = modules_after(*args)
    assert "kcfg.cli.app" in loaded and not {m for m in loaded if m.split(".")[0] in HEAVY}


@pytest.mark.slow
@pytest.mark.tf
def test_runs_lists_each_run_with_status_epochs_and_last_metrics(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kcfg_in_process(capsys, "runs", str(runs))
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["RUN", "NAME", "STATUS", "EPOCHS", "STARTED", "TRAIN", "VALIDATION", "TEST"]
    assert [line.split()[:4] for line in lines] == [["narrow", "digits_cnn", "completed", "3/3"], ["wide", "digits_cnn", "completed", "3/3"]]
    code, out, _ = kcfg_in_process(capsys, "runs", str(runs), "--format", "json")
    listed = json.loads(out)
    history = (runs / "wide" / "history.csv").read_text().splitlines()
    last = dict(zip(history[0].split(","), map(float, history[-1].split(","))))
    wide = listed[1]
    assert wide["validation"]["accuracy"] == pytest.approx(last["val_accuracy"]) and wide["train"]["loss"] == pytest.approx(last["loss"])
    assert wide["test"]["accuracy"] > 0.5 and wide["epochs"] == 3 and wide["status"] == "completed"


@pytest.mark.slow
@pytest.mark.tf
def test_curves_png_svg_and_pdf(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    pair = [str(runs / "narrow"), str(runs / "wide")]
    for suffix in ("png", "svg", "pdf"):
        code, _, err = kcfg_in_process(capsys, "curves", *pair, "-o", str(tmp_path / f"curves.{suffix}"))
        assert code == 0, err
    with Image.open(tmp_path / "curves.png") as image:  # two panels (loss, accuracy) of 5 x 3.75 inches at 100 dpi, legend below
        assert image.size == (1000, 435)
    svg = ET.parse(tmp_path / "curves.svg").getroot()
    ids = [element.get("id", "") for element in svg.iter()]
    for i in (0, 1):  # one line per run, metric and split
        assert {f"run-{i}-loss-train", f"run-{i}-loss-validation", f"run-{i}-accuracy-train", f"run-{i}-accuracy-validation"} <= set(ids)
    texts = "".join(svg.itertext())
    assert "narrow" in texts or "narrow" in (tmp_path / "curves.svg").read_text()
    assert (tmp_path / "curves.pdf").read_bytes().startswith(b"%PDF")
    code, _, err = kcfg_in_process(capsys, "curves", *pair, "-o", str(tmp_path / "curves.bmp"))
    assert code == 2 and "unknown format 'bmp'" in err


def report_of(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    page = tmp_path / "report.html"
    code, _, err = kcfg_in_process(capsys, "report", str(runs / "wide"), "-o", str(page))
    assert code == 0, err
    return page, page.read_text()


@pytest.mark.slow
@pytest.mark.tf
def test_report_is_one_self_contained_page(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, text = report_of(runs, tmp_path, capsys)
    metrics = json.loads((runs / "wide" / "metrics.json").read_text())
    assert f"<td>{metrics['test']['accuracy']:.4f}</td>" in text  # the test accuracy, in the metrics table
    assert text.count("<svg") == 2  # curves and layer graph, inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text) and "<script" not in text and "<link" not in text
    for title in ("Metrics", "Learning curves", "Confusion matrix (test data)", "Layer graph", "Model summary", "Recipe (resolved)", "Manifest"):
        assert f"<h2>{title}</h2>" in text
    cells = re.findall(r'<td class="(diag)?"[^>]*>(\d+)</td>', text)
    assert len(cells) == 100  # ten digit classes
    correct = sum(int(count) for diag, count in cells if diag)
    total = sum(int(count) for _, count in cells)
    assert correct / total == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)
    assert "digit (Dense)" in text and "&quot;status&quot;: &quot;completed&quot;" in text


@pytest.mark.slow
@pytest.mark.tf
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (make setup installs it as root)")
def test_report_renders_in_headless_chromium(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image, ImageStat

    page, _ = report_of(runs, tmp_path, capsys)
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--no-first-run", f"--user-data-dir={profile}", "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
            capture_output=True, timeout=120, check=True,
        )
    with Image.open(shot) as image:
        assert image.size == (1200, 2400)
        top = image.convert("L").crop((0, 0, 1200, 1200))
        assert ImageStat.Stat(top).stddev[0] > 20  # text, curves and the matrix drawn, not a blank page
        colours = image.convert("RGB").crop((0, 0, 1200, 1200)).getcolors(1 << 20) or []
        assert any(b > r + 60 for _, (r, g, b) in colours)  # the blue of the curves and confusion matrix cells


@pytest.mark.slow
@pytest.mark.tf
def test_diff_of_runs_shows_changed_keys_then_metric_deltas(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kcfg_in_process(capsys, "diff", str(runs / "narrow"), str(runs / "wide"))
    assert code == 0
    lines = out.splitlines()
    assert lines[2] == "recipe: 1 changed, 0 added, 0 removed"
    assert "~ model.layers.hidden.units: 32 -> 64" in lines  # the run folders in callbacks' paths are ${run_dir} again
    narrow, wide = (json.loads((runs / name / "metrics.json").read_text()) for name in ("narrow", "wide"))
    delta = wide["test"]["accuracy"] - narrow["test"]["accuracy"]
    assert f"  test.accuracy: {narrow['test']['accuracy']:.4f} -> {wide['test']['accuracy']:.4f} ({delta:+.4f})" in lines


def test_diff_of_recipes_lists_changed_added_and_removed_keys(write, capsys: pytest.CaptureFixture[str]) -> None:
    a = write("a.yaml", "model:\n  inputs: {x: [4]}\n  layers:\n    y: {type: Dense, units: 1}\nfit: {epochs: 3, batch_size: 8}\n")
    b = write("b.yaml", "model:\n  inputs: {x: [4]}\n  layers:\n    y: {type: Dense, units: 2, use_bias: false}\nfit: {epochs: 3}\n")
    code, out, _ = kcfg_in_process(capsys, "diff", str(a), str(b))
    assert code == 0
    assert out.splitlines()[2:] == [
        "recipe: 1 changed, 1 added, 1 removed",
        "~ model.layers.y.units: 1 -> 2",
        "- fit.batch_size: 8",
        "+ model.layers.y.use_bias: false",
    ]
    result = kcfg("diff", str(a), str(REPO / "nowhere.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr


@pytest.mark.tf  # the fresh process imports kcfg.run.smoke, which loads Keras
def test_the_run_face_gives_each_name_it_lists_in_a_fresh_process() -> None:
    """The face loads on first use; a function named like its module (`smoke`) is still the function."""
    code = (
        "import inspect, kcfg.run\n"
        "from kcfg.run import SmokeResult\n"
        "names = {n: getattr(kcfg.run, n) for n in kcfg.run.__all__}\n"
        "assert not [n for n, v in names.items() if inspect.ismodule(v)], names\n"
        "from kcfg.run import smoke\n"
        "assert inspect.isfunction(smoke)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
