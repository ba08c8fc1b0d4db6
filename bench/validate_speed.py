"""`kcfg validate` on every shipped recipe against `python -c "import keras"`, in one run.

Each command runs as a fresh process, interleaved, several times; we report the median wall
time, the ratio, and each process's peak RSS (from wait4). Targets: ratio <= 0.05, RSS <= 60 MB.

Usage: python bench/validate_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    recipes = sorted(str(p.relative_to(REPO)) for p in (REPO / "recipes").glob("*.yaml"))
    commands = {
        "kcfg validate": [sys.executable, "-m", "kcfg", "validate", *recipes],
        "import keras": [sys.executable, "-c", "import keras"],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the file cache once
        measure(cmd)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(measure(cmd))
    times = {name: statistics.median(t for t, _ in runs) for name, runs in samples.items()}
    rss = {name: max(m for _, m in runs) for name, runs in samples.items()}
    ratio = times["kcfg validate"] / times["import keras"]
    print(f"recipes: {len(recipes)}, runs: {args.runs}, python {sys.version.split()[0]}")
    for name in commands:
        print(f"{name:14s} median {times[name] * 1000:7.0f} ms   peak RSS {rss[name]:6.1f} MB")
    print(f"ratio validate / import keras: {ratio:.3f} (target <= 0.05)")
    print(f"validate peak RSS: {rss['kcfg validate']:.1f} MB (target <= 60 MB)")


if __name__ == "__main__":
    main()
