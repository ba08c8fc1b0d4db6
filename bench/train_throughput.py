"""Steady-state training throughput of `kcfg train` against a hand-written Keras script.

The same model (recipes/digits_cnn.yaml), data (the shipped digits, repeated 10 times:
14,370 images) and batch size (32) on both sides. Each side runs as its own process, the
two alternating `--runs` times. A callback on both sides times each epoch's training steps
(on_epoch_begin to on_epoch_end); the first epoch (tracing, warm-up) is dropped and the
median of the rest gives images per second. Wall time of the whole process is shown too.
Target: kcfg / hand-written >= 0.99.

Usage: python bench/train_throughput.py [--runs N] [--epochs N]
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

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
BATCH_SIZE = 32
REPEAT = 10

RECIPE = """
extends: {recipe}
plugins: [{timer}]
data:
  train: {{source: npz, path: {data}, x: {{image: x}}, y: {{digit: y}}}}
  test: null
fit: {{epochs: {epochs}, batch_size: {batch}, validation_split: 0.0, verbose: 2}}
callbacks: [{{type: EpochTimer}}]
"""


def run(command: list[str], times_file: Path) -> tuple[float, float]:
    """(median seconds per steady epoch, process wall seconds)."""
    times_file.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "KCFG_BENCH_TIMES": str(times_file), "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.perf_counter() - start
    epochs = [json.loads(line)["seconds"] for line in times_file.read_text().splitlines()]
    return statistics.median(epochs[1:]), wall


def repeated_digits(path: Path) -> int:
    """The shipped digits repeated REPEAT times, written to `path`; how many images."""
    with np.load(REPO / "recipes" / "data" / "digits_train.npz") as data:
        np.savez(path, x=np.concatenate([data["x"]] * REPEAT), y=np.concatenate([data["y"]] * REPEAT))
    return len(np.load(path)["y"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        images = repeated_digits(tmp / "digits.npz")
        recipe = tmp / "bench.yaml"
        recipe.write_text(RECIPE.format(recipe=REPO / "recipes" / "digits_cnn.yaml", timer=BENCH / "epoch_timer.py", data=tmp / "digits.npz", epochs=args.epochs, batch=BATCH_SIZE))
        commands = {
            "kcfg train": [sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(tmp / "run"), "--overwrite"],
            "hand-written": [sys.executable, str(BENCH / "hand_written_digits.py"), str(tmp / "digits.npz"), str(args.epochs), str(BATCH_SIZE)],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(run(command, tmp / "times.jsonl"))
    print(f"images per epoch: {images}, batch size: {BATCH_SIZE}, epochs: {args.epochs} (first dropped), runs: {args.runs}")
    throughput = {}
    for name, samples in results.items():
        epoch = statistics.median(s for s, _ in samples)
        wall = statistics.median(w for _, w in samples)
        throughput[name] = images / epoch
        print(f"{name:13s} {throughput[name]:9.0f} images/s   steady epoch {epoch * 1000:6.0f} ms   process wall {wall:5.1f} s")
    print(f"ratio kcfg / hand-written: {throughput['kcfg train'] / throughput['hand-written']:.3f} (target >= 0.99)")


if __name__ == "__main__":
    main()
