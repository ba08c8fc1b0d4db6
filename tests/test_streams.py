"""Files that stream (CSV shards, Parquet, TFRecord, TFDS): read by row, split by row, faults located, trained in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from kcfg.recipe import RecipeError, load_recipe  # noqa: E402
from kcfg.recipe.safety import code_names  # noqa: E402
from kcfg.run import Training, TrainingRequest  # noqa: E402
from kcfg.run.prepare import prepare  # noqa: E402
from kcfg.run.train import fit_feeds  # noqa: E402

from .conftest import REPO, streamed  # noqa: E402

MODEL = """seed: 1
model:
  inputs: {x: [3]}
  layers:
    h: {type: Dense, units: 4, activation: relu}
    y: {type: Dense, units: 1, activation: sigmoid}
compile: {optimizer: adam, loss: binary_crossentropy}
fit: {batch_size: 8, epochs: 1, verbose: 0, shuffle: false}
"""
ROWS = 100


def rows(n: int = ROWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features whose first column counts the rows (so order and splits show), and 0/1 targets."""
    x = np.random.default_rng(seed).normal(size=(n, 3)).astype("float32")
    x[:, 0] = np.arange(n)
    return x, (x[:, 1] > 0).astype("int64")


def write_csv_shards(folder: Path, shards: int = 2) -> None:
    x, y = rows()
    for i, part in enumerate(np.array_split(np.arange(ROWS), shards)):
        (folder / f"part-{i}.csv").write_text("a,b,c,y\n" + "".join(f"{int(x[r, 0])},{x[r, 1]},{x[r, 2]},{y[r]}\n" for r in part))


def write_parquet(path: Path, row_group_size: int = 16) -> None:
    x, y = rows()
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y}), path, row_group_size=row_group_size)


def write_tfrecords(folder: Path, shards: int = 2, compression: str | None = "GZIP") -> None:
    x, y = rows()
    for i, part in enumerate(np.array_split(np.arange(ROWS), shards)):
        with tf.io.TFRecordWriter(str(folder / f"part-{i}.tfrecord"), options=compression) as writer:
            for r in part:
                feature = {"x": tf.train.Feature(float_list=tf.train.FloatList(value=x[r])), "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[y[r]]))}
                writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())


def feeds(write, source: str, *sets: str) -> tuple:
    loaded = load_recipe(write("r.yaml", MODEL + f"data:\n  train: {source}\n"), sets=list(sets))
    return fit_feeds(loaded, prepare(loaded).feeder)


def train(write, tmp_path: Path, source: str, *sets: str) -> tuple[dict, Path]:
    run, metrics = Training.open(TrainingRequest(write("r.yaml", MODEL + f"data:\n  train: {source}\n"), sets=list(sets), run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    return metrics, run.path


def test_csv_shards_by_glob_stream_in_name_order(write, tmp_path: Path) -> None:
    write_csv_shards(tmp_path, shards=3)
    train_feed, _ = feeds(write, "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y}")
    x, y = streamed(train_feed)
    np.testing.assert_array_equal(x[:, 0], np.arange(ROWS))
    np.testing.assert_array_equal(y.ravel(), rows()[1])  # as (n, 1), the shape of the model's output
    metrics, _ = train(write, tmp_path, "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y}")
    assert np.isfinite(metrics["train"]["loss"])


@pytest.mark.parametrize("path", ["d.parquet", "shards", "'shards/*.parquet'"], ids=["file", "folder", "glob"])
def test_parquet_reads_by_record_batch_and_knows_its_rows(write, tmp_path: Path, path: str) -> None:
    if path == "d.parquet":
        write_parquet(tmp_path / "d.parquet")
    else:
        (tmp_path / "shards").mkdir()
        write_parquet(tmp_path / "shards" / "a.parquet")
    train_feed, validation = feeds(write, f"{{source: parquet, path: {path}, x: {{x: [a, b, c]}}, y: y}}", "fit.validation_split=0.25")
    assert (train_feed.rows, validation.rows) == (75, 25)  # from the metadata: Keras knows each epoch's steps
    assert int(train_feed.x.cardinality()) == 10  # ceil(75 / 8)
    x, _ = streamed(train_feed)
    val_x, _ = streamed(validation)
    np.testing.assert_array_equal(np.concatenate([x[:, 0], val_x[:, 0]]), np.arange(ROWS))  # held out: the last quarter, before shuffling


def test_validation_split_and_take_cut_a_csv_stream_by_row(write, tmp_path: Path) -> None:
    write_csv_shards(tmp_path)
    train_feed, validation = feeds(write, "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y, take: 60}", "fit.validation_split=0.2")
    x, _ = streamed(train_feed)
    val_x, _ = streamed(validation)
    assert list(x[:, 0]) == list(range(48)) and list(val_x[:, 0]) == list(range(48, 60))
    assert (train_feed.rows, validation.rows) == (48, 12)  # counted, since validation_split needs the count


def test_a_shuffled_stream_holds_every_row_once_per_epoch(write, tmp_path: Path) -> None:
    write_csv_shards(tmp_path)
    train_feed, _ = feeds(write, "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y, shuffle_buffer: 30, cache: true}", "fit.shuffle=true")
    first, second = (streamed(train_feed)[0][:, 0] for _ in range(2))
    assert sorted(first) == list(range(ROWS)) and list(first) != list(range(ROWS)) and list(first) != list(second)


def test_report_counts_a_streamed_csv_test_set(write, tmp_path: Path) -> None:
    from kcfg.run.report import Confusion, confusion
    from kcfg.run.run_dir import RunDir
    from kcfg.run.trained import TrainedRun

    write_csv_shards(tmp_path, shards=3)
    source = "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y}"
    metrics, run = train(write, tmp_path, source, f"data.test={source}", "compile.metrics=[accuracy]")
    result = confusion(TrainedRun.open(RunDir(run)))
    assert isinstance(result, Confusion), result  # the matrix of kcfg report, read batch by batch from the stream
    assert result.matrix.sum() == ROWS and result.accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)


def test_tfrecord_shards_with_compression_train(write, tmp_path: Path) -> None:
    write_tfrecords(tmp_path)
    source = "{source: tfrecord, path: 'part-*.tfrecord', compression: GZIP, features: {x: {shape: [3]}, y: {dtype: int64}}}"
    train_feed, validation = feeds(write, source, "fit.validation_split=0.1")
    x, y = streamed(train_feed)
    assert x.shape == (90, 3) and sorted(np.concatenate([x[:, 0], streamed(validation)[0][:, 0]])) == list(range(ROWS))
    metrics, _ = train(write, tmp_path, source)
    assert np.isfinite(metrics["train"]["loss"])


def test_a_tfrecord_that_does_not_match_its_features_is_located(write, tmp_path: Path) -> None:
    write_tfrecords(tmp_path, shards=1, compression=None)
    with pytest.raises(RecipeError, match=r"data\.train\.features: the first record of .*part-0\.tfrecord does not match features"):
        train(write, tmp_path, "{source: tfrecord, path: part-0.tfrecord, features: {x: {shape: [3]}, y: {dtype: float32}}}")


@pytest.mark.slow
def test_a_prepared_tfds_builder_trains_offline(write, tmp_path: Path) -> None:
    tfds = pytest.importorskip("tensorflow_datasets")
    x, y = rows()
    features = tfds.features.FeaturesDict({"x": tfds.features.Tensor(shape=(3,), dtype=np.float32), "label": tfds.features.ClassLabel(num_classes=2)})
    splits = {"train": tf.data.Dataset.from_tensor_slices({"x": x, "label": y}), "test": tf.data.Dataset.from_tensor_slices({"x": x[:20], "label": y[:20]})}
    tfds.dataset_builders.store_as_tfds_dataset(name="kcfg_tiny", version="1.0.0", features=features, split_datasets=splits, data_dir=str(tmp_path / "tfds"))
    source = "{source: tfds, name: kcfg_tiny, data_dir: tfds, x: x, y: label}"
    train_feed, validation = feeds(write, source, "fit.validation_split=0.2")
    assert (train_feed.rows, validation.rows) == (80, 20)  # from the split's info
    metrics, _ = train(write, tmp_path, source)
    assert np.isfinite(metrics["train"]["loss"])
    with pytest.raises(RecipeError, match=r"data\.train\.split: 'kcfg_tiny' has no split 'valid' \(splits: train, test\)"):
        train(write, tmp_path, source.replace("}", ", split: valid}"))


MIXED = "a,b,c,y\n" + "".join(f"{i},{i},{i},1\n" for i in range(40))


@pytest.mark.parametrize(("content", "message"), [
    (MIXED + "1,2\n", "d.csv, line 42: 2 fields, but the file has 4 columns: a row too short"),
    (MIXED.encode() + b"1,2,caf\xe9,1\n", "d.csv, line 42, column 'c' (field 3): 'caf\\xe9' is not utf-8 text: give the file's encoding (encoding: latin-1"),
    (MIXED + "1,2," + "9" * 200_000 + "x,1\n", "d.csv, line 42, column 'c' (field 3): '9999999999999999999999999999999999999999...' is not a number"),
    (MIXED + "1,,3,1\n", "d.csv, line 42, column 'b' (field 2): empty cell in a column of numbers: fill it in, or declare the column text (dtypes: {b: string})"),
    (MIXED + "1,2.5,3,1\n", "d.csv, line 42, column 'b' (field 2): '2.5' is not a whole number, as the column's first rows are: declare the column's type (dtypes: {b: float32})"),
], ids=["short-row", "latin-1", "long-field", "empty-cell", "not-whole"])
def test_a_bad_cell_after_the_first_block_names_file_line_and_column(write, tmp_path: Path, monkeypatch, content: str | bytes, message: str) -> None:
    monkeypatch.setattr("kcfg.run.tables.CSV_BLOCK", 256)  # the first rows are one block, the bad one comes later, while training
    (tmp_path / "d.csv").write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(RecipeError) as caught:
        train(write, tmp_path, "{source: csv, path: d.csv, x: {x: [a, b, c]}, y: y}")
    (problem,) = caught.value.problems
    assert f":10:24: data.train.path: {tmp_path / message}" in str(problem), str(problem)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "failed"


def test_a_long_text_field_is_data(write, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("text,y\n" + "short,0\n" + "long " * 60_000 + ",1\n" + "mid,0\n")
    recipe = MODEL.replace("inputs: {x: [3]}", "inputs: {x: {shape: [1], dtype: string}}").replace("    h: {type: Dense, units: 4, activation: relu}", "    h: {type: StringLookup, vocabulary: [short, mid], output_mode: one_hot}")
    run, metrics = Training.open(TrainingRequest(write("t.yaml", recipe + "data:\n  train: {source: csv, path: t.csv, x: text, y: y}\n"), run_dir=tmp_path / "run")).run(notes=lambda notes: None)
    assert np.isfinite(metrics["train"]["loss"])


@pytest.mark.parametrize(("text", "message"), [
    ("a,b,c,y\n", "data.train: the data has no samples: "),
    ("", "data.train.path: "),
], ids=["header-only", "empty-file"])
def test_a_csv_without_rows_is_an_error(write, tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "d.csv").write_text(text)
    with pytest.raises(RecipeError, match=message):
        train(write, tmp_path, "{source: csv, path: d.csv, x: {x: [a, b, c]}, y: y}")
    assert not (tmp_path / "run").exists()


def test_preprocess_maps_training_batches_and_is_code(write, tmp_path: Path) -> None:
    write_csv_shards(tmp_path)
    write("shift.py", "def shift(x, y):\n    return x + 1000.0, y\n")
    source = "{source: csv, path: 'part-*.csv', x: {x: [a, b, c]}, y: y, preprocess: 'shift:shift'}"
    train_feed, validation = feeds(write, source, "fit.validation_split=0.2")
    assert streamed(train_feed)[0][0, 0] == 1000.0 and streamed(validation)[0][0, 0] == 80.0  # the held-out part is not augmented
    data = load_recipe(tmp_path / "r.yaml").data
    assert code_names(data) == ["preprocess function shift:shift"]  # so a run directory never brings it in
    with pytest.raises(RecipeError, match=r"data\.train\.preprocess: refused in --safe mode \(KCFG_SAFE=1\): preprocess functions run code"):
        load_recipe(tmp_path / "r.yaml", safe=True)


@pytest.mark.parametrize(("source", "message"), [
    ("{source: csv, path: 'data/*.csv'}", "data.train.path: refused in --safe mode (KCFG_SAFE=1): data must be read from the recipe's folder"),
    ("{source: tfds, name: mnist}", "data.train: refused in --safe mode (KCFG_SAFE=1): a tfds builder must be read from a data_dir in the recipe's folder"),
    ("{source: tfds, name: mnist, data_dir: ../elsewhere}", "data.train.data_dir: refused in --safe mode (KCFG_SAFE=1): a tfds builder must be read from a data_dir"),
], ids=["glob-matching-a-link-out", "tfds-default-folder", "tfds-folder-outside"])
def test_safe_keeps_streams_in_the_recipe_folder(write, tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "outside.csv").write_text("a,b,c,y\n1,2,3,1\n")
    (tmp_path / "inner" / "data").mkdir(parents=True)
    (tmp_path / "inner" / "data" / "fine.csv").write_text("a,b,c,y\n1,2,3,1\n")
    (tmp_path / "inner" / "data" / "link.csv").symlink_to(tmp_path / "outside.csv")
    recipe = write("inner/r.yaml", MODEL + f"data:\n  train: {source}\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe, safe=True)
    assert any(f"{p.key}: {p.message}".startswith(message) for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(("source", "message"), [
    ("{source: tfrecord, path: d.tfrecord, features: {pixels: {shape: [10]}, y: {dtype: int64}}, x: pixels, y: y}", "data.train.x: features give [10] per example, which does not fit input 'x' of shape [3]"),
    ("{source: tfrecord, path: d.tfrecord, features: {x: {dtype: string}}}", "data.train.features: input 'x' takes float32, but feature 'x' holds text: give the input `dtype: string`, or map a numeric feature"),
    ("{source: tfrecord, path: d.tfrecord, features: {a: {}, b: {}, c: {}}, x: {x: [a, b, c]}, y: label}", "data.train.y: 'label' is not among features (a, b, c)"),
    ("{source: tfrecord, path: d.tfrecord, features: {pixels: {shape: [3]}}}", "data.train.features: no feature for model input 'x': name one in x (features: pixels)"),
], ids=["shape", "text-for-numbers", "missing-target", "no-default"])
def test_a_features_spec_that_cannot_feed_the_model_fails_validate(write, source: str, message: str) -> None:
    with pytest.raises(RecipeError) as caught:
        load_recipe(write("r.yaml", MODEL + f"data:\n  train: {source}\n"))
    assert [f"{p.key}: {p.message}" for p in caught.value.problems] == [message]


def test_features_stacked_into_one_input_validate(write) -> None:
    load_recipe(write("r.yaml", MODEL + "data:\n  train: {source: tfrecord, path: d.tfrecord, features: {a: {}, b: {}, c: {}, y: {dtype: int64}}, x: {x: [a, b, c]}, y: y}\n"))


LIMITED = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from kcfg.cli.app import main
sys.argv = ["kcfg", "train", *sys.argv[2:]]
main()
"""


def peak_address_space(recipe: Path, run: Path) -> int:
    """What `kcfg train` of a recipe reserves at most (VmPeak), measured in a child process."""
    code = "import atexit, sys\natexit.register(lambda: sys.stderr.write(next(l for l in open('/proc/self/status') if l.startswith('VmPeak'))))\n" + LIMITED.replace("resource.setrlimit", "# ")
    result = subprocess.run([sys.executable, "-c", code, "0", str(recipe), "--run-dir", str(run)], cwd=REPO, env={**os.environ, "MALLOC_ARENA_MAX": "2"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stderr.strip().splitlines()[-1].split()[1]) * 1024


@pytest.mark.slow
def test_a_csv_larger_than_the_memory_left_trains(write, tmp_path: Path) -> None:
    """The process may reserve 300 MB more than it does for a 1,000-row CSV; the file alone is 400 MB."""
    block = rows(10_000)
    lines = "".join(f"{a:.5f},{b:.5f},{c:.5f},{y}\n" for (a, b, c), y in zip(block[0], block[1]))
    with open(tmp_path / "small.csv", "w") as small:
        small.write("a,b,c,y\n" + "".join(lines.splitlines(keepends=True)[:1000]))
    with open(tmp_path / "big.csv", "w") as big:
        big.write("a,b,c,y\n")
        while big.tell() < 400e6:
            big.write(lines)
    text = MODEL.replace("batch_size: 8", "batch_size: 4096")
    baseline = peak_address_space(write("small.yaml", text + "data:\n  train: {source: csv, path: small.csv, x: {x: [a, b, c]}, y: y}\n"), tmp_path / "small-run")
    limit = baseline + 300_000_000
    recipe = write("big.yaml", text + "data:\n  train: {source: csv, path: big.csv, x: {x: [a, b, c]}, y: y}\n")
    result = subprocess.run([sys.executable, "-c", LIMITED, str(limit), str(recipe), "--run-dir", str(tmp_path / "run")], cwd=REPO, env={**os.environ, "MALLOC_ARENA_MAX": "2"}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "completed"
