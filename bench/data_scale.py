"""Streaming files at scale: peak memory and rows/s of `kcfg train` against hand-written tf.data pipelines.

The same rows (16 float features and a 0/1 label; 100,000 distinct rows repeated) as a
CSV of about 30 MB and 300 MB, and as Parquet and GZIP-less TFRecord files of the same
rows, are written into a temporary folder. Each (size, format) trains one epoch of the
same small MLP (16 -> 32 relu -> 1 sigmoid, adam, batch 1024, a shuffle buffer of 10,000
rows) twice per run: `kcfg train` on a recipe, and a hand-written Keras script with the
tf.data pipeline a careful user writes for that format (CSV: TextLineDataset, shuffle,
batch, `tf.io.decode_csv` in parallel; TFRecord: TFRecordDataset, shuffle, batch,
`tf.io.parse_example` in parallel; Parquet, which tf.data cannot read: pyarrow record
batches through `from_generator`). Both sides run as their own process, alternating;
peak RSS comes from the kernel (`wait4`), rows/s from the epoch's wall time (EpochTimer).
Targets: kcfg's peak RSS grows at most 1.3x from 30 MB to 300 MB; kcfg rows/s >= 0.95x
the hand-written pipeline's.

Usage: python bench/data_scale.py [--runs N] [--sizes 30,300] [--formats csv,parquet,tfrecord]
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
FEATURES = [f"f{i}" for i in range(16)]
DISTINCT = 100_000
BATCH, SHUFFLE = 1024, 10_000

RECIPE = """
plugins: [{timer}]
model:
  inputs: {{x: [16]}}
  layers:
    hidden: {{type: Dense, units: 32, activation: relu}}
    label: {{type: Dense, units: 1, activation: sigmoid}}
compile: {{optimizer: adam, loss: binary_crossentropy}}
fit: {{epochs: 1, batch_size: {batch}, verbose: 0}}
callbacks: [{{type: EpochTimer}}]
data:
  train: {source}
"""
SOURCES = {
    "csv": "{{source: csv, path: {path}, x: {{x: [{features}]}}, y: label, shuffle_buffer: {shuffle}}}",
    "parquet": "{{source: parquet, path: {path}, x: {{x: [{features}]}}, y: label, shuffle_buffer: {shuffle}}}",
    "tfrecord": "{{source: tfrecord, path: {path}, features: {{x: {{shape: [16]}}, label: {{dtype: int64}}}}, shuffle_buffer: {shuffle}}}",
}

HAND_WRITTEN = """
import sys
import keras, tensorflow as tf
sys.path.insert(0, {bench!r})
from epoch_timer import EpochTimer

kind, path = {kind!r}, {path!r}
features = [f"f{{i}}" for i in range(16)]
if kind == "csv":
    def parse(lines):
        columns = tf.io.decode_csv(lines, [0.0] * 16 + [0])
        return tf.stack(columns[:16], axis=-1), columns[16]
    data = tf.data.TextLineDataset(path).skip(1).shuffle({shuffle}).batch({batch}).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
elif kind == "tfrecord":
    spec = {{"x": tf.io.FixedLenFeature([16], tf.float32), "label": tf.io.FixedLenFeature([], tf.int64)}}
    def parse(records):
        example = tf.io.parse_example(records, spec)
        return example["x"], example["label"]
    data = tf.data.TFRecordDataset(path).shuffle({shuffle}).batch({batch}).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
else:
    import numpy as np, pyarrow.parquet as pq
    def batches():
        for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
            yield np.stack([batch.column(f).to_numpy() for f in features], axis=-1), batch.column("label").to_numpy()
    signature = (tf.TensorSpec([None, 16], tf.float32), tf.TensorSpec([None], tf.int64))
    data = tf.data.Dataset.from_generator(batches, output_signature=signature).unbatch().shuffle({shuffle}).batch({batch})
inputs = keras.Input((16,), name="x")
outputs = keras.layers.Dense(1, activation="sigmoid", name="label")(keras.layers.Dense(32, activation="relu", name="hidden")(inputs))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(data.prefetch(tf.data.AUTOTUNE), epochs=1, verbose=0, callbacks=[EpochTimer()])
"""


def write_files(folder: Path, megabytes: int) -> tuple[dict[str, Path], int]:
    """CSV, Parquet and TFRecord files of the same rows, the CSV about `megabytes` large; and the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(DISTINCT, 16)).astype("float32").round(4)
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    block = "".join(",".join(f"{v:.4f}" for v in row) + f",{label}\n" for row, label in zip(x, y))
    repeats = max(1, round(megabytes * 1e6 / len(block)))
    files = {kind: folder / f"rows{megabytes}.{kind}" for kind in SOURCES}
    with open(files["csv"], "w") as handle:
        handle.write(",".join([*FEATURES, "label"]) + "\n")
        for _ in range(repeats):
            handle.write(block)
    table = pa.table({**{f: x[:, i] for i, f in enumerate(FEATURES)}, "label": y})
    with pq.ParquetWriter(files["parquet"], table.schema) as writer:
        for _ in range(repeats):
            writer.write_table(table, row_group_size=65_536)
    records = [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=row)), "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
    })).SerializeToString() for row, label in zip(x, y)]
    with tf.io.TFRecordWriter(str(files["tfrecord"])) as writer:
        for _ in range(repeats):
            for record in records:
                writer.write(record)
    return files, DISTINCT * repeats


def measured(command: list[str], times: Path) -> tuple[float, float, float]:
    """(epoch seconds, peak RSS in MB, process wall seconds) of one process."""
    times.unlink(missing_ok=True)
    start = time.perf_counter()
    env = {**os.environ, "KCFG_BENCH_TIMES": str(times), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
    epochs = [json.loads(line)["seconds"] for line in times.read_text().splitlines()]
    return epochs[0], usage.ru_maxrss / 1024, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="30,300", help="CSV sizes in MB")
    parser.add_argument("--formats", default=",".join(SOURCES), help="which of csv, parquet, tfrecord to train on (all are written)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = [k for k in SOURCES if k in args.formats.split(",")]
    if unknown := set(args.formats.split(",")) - set(SOURCES):
        parser.error(f"--formats: unknown {', '.join(sorted(unknown))} (choose from {', '.join(SOURCES)})")
    results: dict[tuple[int, str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="kcfg-data-scale-") as tmp:
        folder = Path(tmp)
        data = {size: write_files(folder, size) for size in sizes}
        for run in range(args.runs):
            for size in sizes:
                files, rows = data[size]
                for kind in kinds:
                    file = files[kind]
                    recipe = folder / f"{kind}{size}.yaml"
                    source = SOURCES[kind].format(path=file, features=", ".join(FEATURES), shuffle=SHUFFLE)
                    recipe.write_text(RECIPE.format(timer=BENCH / "epoch_timer.py", batch=BATCH, source=source))
                    script = folder / f"hand_{kind}{size}.py"
                    script.write_text(HAND_WRITTEN.format(bench=str(BENCH), kind=kind, path=str(file), shuffle=SHUFFLE, batch=BATCH))
                    sides = {
                        "kcfg": [sys.executable, "-m", "kcfg", "train", str(recipe), "--run-dir", str(folder / "run"), "--overwrite"],
                        "hand": [sys.executable, str(script)],
                    }
                    for side in (sides if run % 2 == 0 else reversed(list(sides))):  # alternate which goes first
                        results.setdefault((size, kind, side), []).append(measured(sides[side], folder / "times.jsonl"))
                    print(f"run {run + 1}/{args.runs} {size} MB {kind} done", file=sys.stderr, flush=True)
    print(f"rows: {', '.join(f'{s} MB CSV = {data[s][1]:,}' for s in sizes)}; batch {BATCH}, shuffle buffer {SHUFFLE}, 1 epoch, runs: {args.runs} (medians), cores: {os.cpu_count()}")
    for size in sizes:
        rows = data[size][1]
        for kind in kinds:
            kcfg, hand = ([statistics.median(v[i] for v in results[(size, kind, side)]) for i in range(3)] for side in ("kcfg", "hand"))
            print(f"{size:>4} MB {kind:<9} kcfg {rows / kcfg[0]:>9,.0f} rows/s  RSS {kcfg[1]:>6.0f} MB  wall {kcfg[2]:>5.1f} s | hand-written {rows / hand[0]:>9,.0f} rows/s  RSS {hand[1]:>6.0f} MB  wall {hand[2]:>5.1f} s | rows/s ratio {hand[0] / kcfg[0]:.2f}")
    if len(sizes) == 2:
        for kind in kinds:
            small, large = (statistics.median(v[1] for v in results[(size, kind, "kcfg")]) for size in sizes)
            print(f"kcfg peak RSS {kind:<9} {sizes[0]} MB -> {sizes[1]} MB: {small:.0f} -> {large:.0f} MB ({large / small:.2f}x)")


if __name__ == "__main__":
    main()
