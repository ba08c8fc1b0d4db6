"""Training throughput of one recipe on both Keras backends, and with data_parallel on 1 and 2 processes.

recipes/digits_cnn.yaml on the shipped digits repeated 10 times (14,370 images), global batch
32, as in bench/train_throughput.py. Each variant is its own `kcfg train` process; an
EpochTimer callback times each epoch's steps (in every worker), the first epoch (tracing,
warm-up) is dropped, the median of the rest gives images per second. The baseline is the
default: TensorFlow in one process. On a machine with few cores, two processes compete for
them and add a loopback all-reduce per step: slower, not faster.

Usage: python bench/data_parallel_throughput.py [--runs N] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from train_throughput import BATCH_SIZE, REPO, repeated_digits

RECIPE = """
extends: {recipe}
plugins: [{timer}]
data:
  train: {{source: npz, path: {data}, x: {{image: x}}, y: {{digit: y}}}}
  validation: null
  test: null
fit: {{epochs: {epochs}, batch_size: {batch}, validation_split: 0.0, verbose: 0}}
callbacks: [{{type: EpochTimer}}]
"""
VARIANTS = {
    "tensorflow, 1 process": [],
    "jax, 1 process": ["--set", "runtime.backend=jax"],
    "jax data_parallel, 1 process": ["--set", "runtime.backend=jax", "--set", "runtime.distribute={strategy: data_parallel, processes: 1}"],
    "jax data_parallel, 2 processes": ["--set", "runtime.backend=jax", "--set", "runtime.distribute={strategy: data_parallel, processes: 2}"],
}


def run(command: list[str], times_file: Path) -> tuple[float, float]:
    """(median seconds per steady epoch over every worker, process wall seconds)."""
    times_file.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(["timeout", "-s", "KILL", "1200", *command], cwd=REPO, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "KCFG_BENCH_TIMES": str(times_file), "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.perf_counter() - start
    epochs = [json.loads(line) for line in times_file.read_text().splitlines()]
    return statistics.median(e["seconds"] for e in epochs if e["epoch"] > 0), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        images = repeated_digits(tmp / "digits.npz")
        recipe = tmp / "bench.yaml"
        recipe.write_text(RECIPE.format(recipe=REPO / "recipes" / "digits_cnn.yaml", timer=REPO / "bench" / "epoch_timer.py", data=tmp / "digits.npz", epochs=args.epochs, batch=BATCH_SIZE))
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for _ in range(args.runs):
            for name, extra in VARIANTS.items():
                command = [sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(tmp / "run"), "--overwrite", *extra]
                results[name].append(run(command, tmp / "times.jsonl"))
    print(f"images per epoch: {images}, global batch: {BATCH_SIZE}, epochs: {args.epochs} (first dropped), runs: {args.runs}, cores: {os.cpu_count()}")
    baseline = images / statistics.median(s for s, _ in results["tensorflow, 1 process"])
    for name, samples in results.items():
        epoch = statistics.median(s for s, _ in samples)
        wall = statistics.median(w for _, w in samples)
        print(f"{name:31s} {images / epoch:7.0f} images/s  ratio {images / epoch / baseline:5.2f}   steady epoch {epoch * 1000:6.0f} ms   process wall {wall:5.1f} s")


if __name__ == "__main__":
    main()
