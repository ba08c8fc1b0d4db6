"""`kcfg report`: one self-contained HTML page about a run (inline CSS and SVG, nothing fetched).

Metrics, learning curves, a confusion matrix (a classifier with test data), the layer graph,
the model summary, the resolved recipe and the manifest, each from the run's own files;
only the confusion matrix loads the model (Keras) to predict the test data.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from kcfg.builder import GraphDrawing, rendered
from kcfg.recipe import LoadedRecipe, plain
from kcfg.run.curves import CurvesError, draw_curves
from kcfg.run.feeding import pipeline
from kcfg.run.run_dir import RunDir
from kcfg.run.runs_table import run_row
from kcfg.run.streams import RowStream, streaming
from kcfg.run.trained import TrainedRun

MAX_CLASSES = 30
#: Test samples predicted at once from a streamed file (CSV, Parquet, TFRecord, TFDS).
STREAM_BATCH = 256
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
.sub { color: #666; margin-top: 0; } table { border-collapse: collapse; } td, th { padding: 0.25rem 0.6rem; border: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; } pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; line-height: 1.3; }
svg { max-width: 100%; height: auto; } .note { color: #666; font-style: italic; } td.diag { font-weight: bold; }
"""


@dataclass
class Confusion:
    """Counts of (true class, predicted class) on the test data."""

    matrix: np.ndarray
    accuracy: float


def inline_svg(data: bytes) -> str:
    """An SVG file as markup to place in HTML: without its XML declaration, doctype and RDF metadata."""
    text = re.sub(r"^.*?(?=<svg)", "", data.decode("utf-8"), flags=re.S)
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def confusion(trained: TrainedRun) -> Confusion | str:
    """The test data's confusion matrix, or why there is none (not a classifier, no test data...)."""
    recipe = trained.loaded.recipe
    model = trained.model
    if recipe.data is None or recipe.data.test is None:
        return "no test data (data.test) in the recipe"
    loss = plain(recipe.compile.loss) if recipe.compile else None
    loss_name = str(loss.get("type") if isinstance(loss, dict) else loss).lower()
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2 or "crossentropy" not in loss_name.replace("_", ""):
        return "not a classifier (one output of shape (batch, classes) with a cross-entropy loss)"
    source = recipe.data.test
    feed = trained.feeder().feed(source, ("data", "test"))
    if isinstance(feed.x, RowStream):  # a file read as it streams: predicted batch by batch, labels kept beside
        batches = pipeline(feed, source, STREAM_BATCH, False, None)
        parts: tuple[list[Any], list[Any]] = ([], [])
        with streaming(batches.faults):
            for x, y, *_ in batches.x:
                parts[0].append(np.asarray(model.predict_on_batch(x)))
                parts[1].append(np.asarray(y))
        if not parts[0]:
            return "the test data has no samples"
        scores, labels = np.concatenate(parts[0]), np.concatenate(parts[1])
    elif feed.is_stream:
        return "the test data is a stream that kcfg does not read itself (images, python); the matrix needs files or arrays"
    else:
        scores = np.asarray(model.predict(feed.x, verbose=0))
        labels = np.asarray(feed.y)
    if scores.shape[-1] == 1:  # binary: probabilities, or logits around 0
        threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0
        predicted, labels, classes = (scores[:, 0] > threshold).astype(int), labels.reshape(-1).round().astype(int), 2
    else:
        classes = scores.shape[-1]
        predicted = scores.argmax(axis=-1)
        labels = labels.argmax(axis=-1) if labels.ndim == 2 and labels.shape[1] == classes else labels.reshape(-1).astype(int)
    if classes > MAX_CLASSES:
        return f"{classes} classes: too many to show"
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    return Confusion(matrix, float(np.trace(matrix) / max(matrix.sum(), 1)))


def confusion_html(result: Confusion | str) -> str:
    if isinstance(result, str):
        return f'<p class="note">{html.escape(result)}</p>'
    matrix = result.matrix
    top = max(int(matrix.max()), 1)
    head = "".join(f"<th>{j}</th>" for j in range(len(matrix)))
    rows = []
    for i, counts in enumerate(matrix):
        cells = "".join(
            f'<td class="{"diag" if i == j else ""}" style="background: rgba(31, 119, 180, {count / top:.2f}); color: {"#fff" if count / top > 0.6 else "#222"}">{count}</td>'
            for j, count in enumerate(counts)
        )
        rows.append(f"<tr><th>{i}</th>{cells}</tr>")
    return (
        f"<p>Rows: true class; columns: predicted class. {int(matrix.sum())} test samples, accuracy {result.accuracy:.4f}.</p>"
        f"<table><tr><th>true \\ predicted</th>{head}</tr>{''.join(rows)}</table>"
    )


def metrics_html(metrics: dict[str, Any]) -> str:
    sections = [name for name in ("train", "validation", "test") if metrics.get(name)]
    if not sections:
        return '<p class="note">no metrics.json yet</p>'
    names = sorted({name for section in sections for name in metrics[section]})
    head = "".join(f"<th>{html.escape(section)}</th>" for section in sections)
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{metrics[s][name]:.4f}</td>" if name in metrics[s] else "<td></td>" for s in sections) + "</tr>"
        for name in names
    )
    return f"<table><tr><th>metric</th>{head}</tr>{rows}</table>"


def graph_html(loaded: LoadedRecipe) -> str:
    import graphviz

    drawing = GraphDrawing(loaded.plan).draw(loaded.recipe.model.name or loaded.name)
    try:
        return inline_svg(rendered(drawing, "svg"))
    except graphviz.ExecutableNotFound:
        return '<p class="note">Graphviz\'s dot program is not installed; its source:</p><pre>' + html.escape(drawing.source) + "</pre>"


def curves_html(run: RunDir, label: str) -> str:
    try:
        return inline_svg(draw_curves([run], "svg", labels=[label], width=4.5))
    except CurvesError as exc:
        return f'<p class="note">{html.escape(str(exc))}</p>'


def section(title: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n{body}\n"


def pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def file_text(run: RunDir, name: str) -> str:
    file = run.path / name
    return file.read_text(encoding="utf-8") if file.is_file() else f"({name} is missing)"


def report_html(trained: TrainedRun) -> str:
    """The page for a trained run.

    Raises:
        FeedError: the test data cannot be read as when the run trained.
    """
    run = trained.run
    row = run_row(run, run.path)
    epochs = f"{row.epochs}/{row.planned_epochs}" if row.planned_epochs else str(row.epochs)
    body = [
        f"<h1>{html.escape(row.name)}</h1>",
        f'<p class="sub">{html.escape(str(run.path))} · {html.escape(row.status)} · {epochs} epochs · started {html.escape(row.started)}</p>',
        section("Metrics", metrics_html(run.metrics())),
        section("Learning curves", curves_html(run, row.name)),
        section("Confusion matrix (test data)", confusion_html(confusion(trained))),
        section("Layer graph", graph_html(trained.loaded)),
        section("Model summary", pre(file_text(run, "summary.txt"))),
        section("Recipe (resolved)", pre(file_text(run, "recipe.yaml"))),
        section("Manifest", pre(json.dumps(run.manifest(), indent=2, sort_keys=True))),
    ]
    title = html.escape(f"{row.name}: {run.path}")
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n' + "\n".join(body) + "\n</body>\n</html>\n"
