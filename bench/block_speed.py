"""Validating a deep residual stack written with a block (`repeat:`) against the same stack written out.

Both recipes describe the same graph (blocks of Dense -> Dense -> Add with the block
input, as in `build_speed.py`); the block one is a few lines, the written-out one a line
per layer. `load_recipe` (read, merge, interpolate, pydantic, plan with blocks expanded,
graph checks; no TensorFlow) is timed on each, interleaved, in one process; medians.
Target: the block recipe validates no slower than the written-out one (ratio <= 1.0).

Usage: python bench/block_speed.py [--runs N] [--layers N ...]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from build_speed import WIDTH, residual_recipe  # noqa: E402

from kcfg.recipe import load_recipe  # noqa: E402


def block_recipe(n_layers: int) -> str:
    """`residual_recipe(n_layers)` with its repeated three layers as one block used with `repeat:`."""
    copies = (n_layers - 1) // 3
    rest = n_layers - 3 * copies
    lines = [
        "blocks:",
        "  residual:",
        "    layers:",
        f"      a: {{type: Dense, units: {WIDTH}, activation: relu}}",
        f"      b: {{type: Dense, units: {WIDTH}}}",
        "      add: {type: Add, input: [b, x]}",
        "model:",
        f"  inputs: {{x: [{WIDTH}]}}",
        "  layers:",
        f"    stack: {{block: residual, repeat: {copies}}}",
    ]
    lines += [f"    out{i}: {{type: Dense, units: {WIDTH}}}" for i in range(rest)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layers", type=int, nargs="+", default=[200, 2_000, 20_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print("| layers | written out | with a block | ratio (target <= 1.0) |")
        print("|---|---|---|---|")
        for n in args.layers:
            flat, block = Path(folder) / f"flat{n}.yaml", Path(folder) / f"block{n}.yaml"
            flat.write_text(residual_recipe(n))
            block.write_text(block_recipe(n))
            assert len(load_recipe(block).plan.model.steps) == len(load_recipe(flat).plan.model.steps) == n
            times: dict[Path, list[float]] = {flat: [], block: []}
            for _ in range(args.runs):
                for path in (flat, block):
                    gc.collect()
                    start = time.perf_counter()
                    load_recipe(path)
                    times[path].append(time.perf_counter() - start)
            a, b = statistics.median(times[flat]), statistics.median(times[block])
            print(f"| {n:,} | {a * 1e3:,.1f} ms | {b * 1e3:,.1f} ms | {b / a:.2f} |")


if __name__ == "__main__":
    main()
