"""`kcfg smoke` time per recipe once TensorFlow is imported (target <= 2 s per recipe).

Runs `kcfg smoke recipes/ --format json` once as a warm-up and `--runs` more times, and
reports each recipe's median seconds (the CLI times each recipe after the shared import)
and the import-and-start-up time of the whole command.

Usage: python bench/smoke_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    per_recipe: dict[str, list[float]] = {}
    overhead = []
    for run in range(args.runs + 1):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "kcfg", "smoke", "recipes/", "--format", "json"], cwd=REPO, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        report = json.loads(result.stdout)
        if run == 0:
            continue
        overhead.append(wall - sum(r["seconds"] for r in report["recipes"]))
        for r in report["recipes"]:
            per_recipe.setdefault(r["recipe"], []).append(r["seconds"])
    medians = {name: statistics.median(times) for name, times in per_recipe.items()}
    for name, seconds in medians.items():
        print(f"{name:36s} {seconds:5.2f} s {'' if seconds <= 2 else '  (over 2 s)'}")
    print(f"median per recipe {statistics.median(medians.values()):.2f} s, max {max(medians.values()):.2f} s, "
          f"{sum(s <= 2 for s in medians.values())} of {len(medians)} within 2 s; start-up and import {statistics.median(overhead):.1f} s; runs: {args.runs}")


if __name__ == "__main__":
    main()
