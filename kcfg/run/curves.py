"""`kcfg curves`: learning curves of runs from their history.csv, drawn with matplotlib (Agg, no display).

One panel per logged quantity (loss, then each metric); each run has one colour, training
a solid line and validation a dashed one. Every line carries an SVG id
(`run-<i>-<metric>-<train|validation>`), so a drawing can be checked run by run.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

from kcfg.run.run_dir import RunDir

FORMATS = ("png", "svg", "pdf")


class CurvesError(Exception):
    """Nothing to draw, or a format matplotlib is not asked for."""


def run_labels(paths: list[Path]) -> list[str]:
    """Legend names: each run's path without the folders all runs share ('digits', 'wide'), or the folder name for one run."""
    if len(paths) == 1:
        return [paths[0].name or str(paths[0])]
    parts = [Path(os.path.normpath(p.absolute())).parts for p in paths]
    shared = 0
    while all(len(p) > shared + 1 for p in parts) and len({p[shared] for p in parts}) == 1:
        shared += 1
    return ["/".join(p[shared:]) for p in parts]


def quantities(histories: list[list[dict[str, Any]]]) -> list[str]:
    """The panels: loss first, then the other metrics, by their training name."""
    names = {key.removeprefix("val_") for history in histories for row in history for key in row if key != "epoch"}
    return sorted(names, key=lambda name: (name != "loss", name))


def draw_curves(runs: list[RunDir], fmt: str, *, labels: list[str] | None = None, width: float = 5.0) -> bytes:
    """The figure as `fmt` bytes (png, svg or pdf).

    Raises:
        CurvesError: an unknown format, or no run has a completed epoch.
    """
    if fmt not in FORMATS:
        raise CurvesError(f"unknown format {fmt!r}; use one of .{', .'.join(FORMATS)}")
    histories = [run.history() for run in runs]
    if not any(histories):
        raise CurvesError("no completed epoch to draw (history.csv is empty or missing)")
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    names = quantities(histories)
    labels = labels or run_labels([run.path for run in runs])
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = Figure(figsize=(width * columns, 0.75 * width * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    colours = matplotlib.colormaps["tab10"]
    for panel, name in zip(axes, names):
        for i, history in enumerate(histories):
            for split, key, style in (("train", name, "-"), ("validation", f"val_{name}", "--")):
                points = [(row["epoch"] + 1, row[key]) for row in history if key in row]
                if points:
                    (line,) = panel.plot(*zip(*points), style, color=colours(i % 10), marker="." if len(points) < 30 else None)
                    line.set_gid(f"run-{i}-{name}-{split}")
        panel.set_title(name)
        panel.set_xlabel("epoch")
        panel.grid(alpha=0.3)
        panel.xaxis.get_major_locator().set_params(integer=True)
    for panel in axes[len(names):]:
        panel.set_visible(False)
    handles = [Line2D([], [], color=colours(i % 10), label=label) for i, label in enumerate(labels)]
    handles += [Line2D([], [], color="gray", linestyle="-", label="train"), Line2D([], [], color="gray", linestyle="--", label="validation")]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), frameon=False)
    out = io.BytesIO()
    figure.savefig(out, format=fmt, dpi=100, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()
