"""Building generated deep residual stacks with kcfg against the same graphs as hand-written Keras calls.

In one process: for 200 and 2,000 layers, kcfg's build stage (validated recipe ->
keras.Model) and a hand-written loop of Keras functional calls are timed alternately,
`--runs` times each after a warm-up; medians and their ratio are printed (target <= 1.1).
First `load_recipe` (read, validate, graph checks; no TensorFlow) is timed for 200, 2,000
and 20,000 layers to show that validation grows linearly (time per layer roughly constant).

Usage: python bench/build_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kcfg.recipe import load_recipe  # noqa: E402

WIDTH = 16


def residual_recipe(n_layers: int) -> str:
    """A recipe of `n_layers` layers: blocks of Dense, Dense, Add(block input), then an output Dense."""
    lines = ["model:", f"  inputs: {{x: [{WIDTH}]}}", "  layers:"]
    previous = "x"
    count = 0
    while count + 3 < n_layers:
        i = count // 3
        lines.append(f"    d{i}a: {{type: Dense, units: {WIDTH}, activation: relu, input: {previous}}}")
        lines.append(f"    d{i}b: {{type: Dense, units: {WIDTH}}}")
        lines.append(f"    add{i}: {{type: Add, input: [d{i}b, {previous}]}}")
        previous = f"add{i}"
        count += 3
    while count < n_layers:
        lines.append(f"    out{count}: {{type: Dense, units: {WIDTH}}}")
        count += 1
    return "\n".join(lines) + "\n"


def hand_written(n_layers: int) -> Any:
    """The same graph as `residual_recipe`, as a Keras user writes it."""
    import keras
    from keras import layers

    x = keras.Input(shape=(WIDTH,), name="x")
    previous = x
    count = 0
    while count + 3 < n_layers:
        i = count // 3
        a = layers.Dense(WIDTH, activation="relu", name=f"d{i}a")(previous)
        b = layers.Dense(WIDTH, name=f"d{i}b")(a)
        previous = layers.Add(name=f"add{i}")([b, previous])
        count += 3
    while count < n_layers:
        previous = layers.Dense(WIDTH, name=f"out{count}")(previous)
        count += 1
    return keras.Model(x, previous, name="stack")


def timed(function: Callable[..., Any], *args: Any) -> float:
    """Seconds one call takes, starting from a collected heap."""
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from kcfg.builder import build_model
    from kcfg.builder.graph import FRAMES_PER_LAYER
    from kcfg.cli.keras_import import import_keras_quietly

    print(f"python {sys.version.split()[0]}, runs: {args.runs}")
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for n in (200, 2000, 20000):
            files[n] = Path(folder) / f"stack_{n}.yaml"
            files[n].write_text(residual_recipe(n))
        load_times: dict[int, list[float]] = {n: [] for n in files}
        for _ in range(args.runs):  # first, while no Keras graph fills the heap the GC walks
            for n, path in files.items():
                load_times[n].append(timed(load_recipe, path))
        for n, times in load_times.items():
            seconds = statistics.median(times)
            print(f"validate {n:6d} layers: {seconds * 1000:8.1f} ms   {seconds / n * 1e6:6.1f} us per layer")
        keras = import_keras_quietly()
        sys.setrecursionlimit(FRAMES_PER_LAYER * 2000 + 1000)  # Keras needs it for 2,000 layers, by hand too
        print(f"keras {keras.__version__}")
        for n in (200, 2000):
            loaded = load_recipe(files[n])
            assert build_model(loaded).model.count_params() == hand_written(n).count_params()
            kcfg_times, keras_times = [], []
            for _ in range(args.runs):
                keras.utils.clear_session()
                kcfg_times.append(timed(build_model, loaded))
                keras.utils.clear_session()
                keras_times.append(timed(hand_written, n))
            kcfg_median, keras_median = statistics.median(kcfg_times), statistics.median(keras_times)
            print(f"build {n:6d} layers: kcfg {kcfg_median * 1000:8.0f} ms   hand-written {keras_median * 1000:8.0f} ms   ratio {kcfg_median / keras_median:.3f} (target <= 1.1)"
                  f"   fastest runs: {min(kcfg_times) * 1000:.0f} / {min(keras_times) * 1000:.0f} ms = {min(kcfg_times) / min(keras_times):.3f}")


if __name__ == "__main__":
    main()
