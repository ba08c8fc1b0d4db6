"""`data`: training, validation and test sources, one model per source kind."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from kcfg.recipe.schema.base import FUNCTION_PATTERN, NonNegativeInt, PositiveInt, Section, Seed

#: An array key or column: a name, or a column's index in a CSV without a header.
Column = Union[str, Annotated[int, Field(ge=0)]]
Mapping = Union[Column, dict[str, Column | list[Column]]]


class _Source(Section):
    take: PositiveInt | None = Field(None, description="Use only the first N samples.")
    x: Mapping | None = Field(None, description="Model input name -> array key or column(s).")
    y: Mapping | None = Field(None, description="Model output name -> array key or column.")
    sample_weight: Mapping | None = None
    shuffle_buffer: PositiveInt | None = Field(None, description="Samples held for shuffling a stream (default 1024).")
    cache: bool = Field(False, description="Keep the data in memory after the first epoch (a streamed file then takes its size in memory).")
    preprocess: Annotated[str, Field(pattern=FUNCTION_PATTERN)] | None = Field(
        None, description="module:function mapped over every batch `(x, y[, sample_weight])` fit and evaluate read from this source (augmentation, noise); a plugin, refused under --safe.")


#: Column types a table file may declare (the model's input dtype decides the rest).
ColumnType = Literal["float32", "float64", "int32", "int64", "string"]
#: What `tf.io.parse_example` reads from a `tf.train.Example` feature.
FeatureType = Literal["float32", "int64", "string"]


class _TableSource(_Source):
    """Files read in record batches (pyarrow): `path` is a file, a folder or a glob of shards."""

    path: str = Field(description="A file, a folder of them, or a glob (data/part-*.csv); shards are read in name order.")
    labels: list[str] | dict[str, int] | None = Field(None, description="Target values as class ids: names in id order, or name -> id (e.g. {' >50K': 1, ' <=50K': 0}).")
    dtypes: dict[str, ColumnType] | None = Field(None, description="Column -> type; other columns take the type their first rows show.")


class SyntheticSource(_Source):
    source: Literal["synthetic"]
    samples: PositiveInt = 256
    seed: Seed | None = None


class NpzSource(_Source):
    source: Literal["npz", "npy"]
    path: str


def _one_character(value: str) -> str:
    if len(value) != 1:
        raise PydanticCustomError(
            "delimiter", "must be one character, got {value}: CSV readers split on one character; convert the file first "
            "(sed 's/::/\\t/g' data.dat > data.tsv) and give delimiter: \"\\t\"", {"value": repr(value)})
    return value


class CsvSource(_TableSource):
    source: Literal["csv"]
    delimiter: Annotated[str, AfterValidator(_one_character)] = Field(",", description="One character: CSV readers split on one (convert a file that uses '::' first).")
    header: bool = Field(True, description="false: the first row is data; columns are named by `columns`, else by their index (0, 1, ...).")
    columns: list[str] | None = Field(None, description="Names of the columns of a file without a header row.")
    encoding: str = Field("utf-8", description="The files' text encoding, e.g. latin-1.")


class ParquetSource(_TableSource):
    source: Literal["parquet"]


class FeatureSpec(Section):
    shape: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, description="Per-example shape; [] for one value.")
    dtype: FeatureType = "float32"


class TFRecordSource(_Source):
    source: Literal["tfrecord"]
    path: str = Field(description="A file, a folder of them, or a glob; shards are interleaved.")
    features: dict[str, FeatureSpec] = Field(description="Feature name -> {shape, dtype} of the tf.train.Example records (tf.io.parse_example).", min_length=1)
    compression: Literal["GZIP", "ZLIB"] | None = None


class TfdsSource(_Source):
    source: Literal["tfds"]
    name: str = Field(description="The builder's name (and version, as in mnist:3.0.1).")
    split: str = "train"
    data_dir: str | None = Field(None, description="Where the builder was prepared (relative to the recipe); nothing is downloaded.")


class ImagesSource(_Source):
    source: Literal["images"]
    path: str
    image_size: list[Annotated[int, Field(ge=1, le=16384)]] = Field(default_factory=lambda: [256, 256], min_length=2, max_length=2)
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb"
    label_mode: Literal["int", "categorical", "binary"] | None = "int"


_TEXT_ARGUMENTS = ("num_words", "skip_top", "maxlen", "index_from")


class KerasSource(_Source):
    #: The `load_data` arguments each dataset takes (the others take none).
    loader_arguments: ClassVar[dict[str, tuple[str, ...]]] = {
        "imdb": _TEXT_ARGUMENTS,
        "reuters": (*_TEXT_ARGUMENTS, "test_split"),
        "boston_housing": ("test_split",),
        "cifar100": ("label_mode",),
    }
    source: Literal["keras"]
    name: Literal["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing"]
    split: Literal["train", "test"] = "train"
    num_words: PositiveInt | None = Field(None, description="imdb, reuters: keep the most frequent words only (load_data's num_words).")
    skip_top: NonNegativeInt | None = Field(None, description="imdb, reuters: drop the most frequent words.")
    maxlen: PositiveInt | None = Field(None, description="imdb, reuters: drop longer sequences (load_data's maxlen); sequences are padded to the input's length.")
    index_from: NonNegativeInt | None = Field(None, description="imdb, reuters: the index of the first word.")
    test_split: Annotated[float, Field(gt=0.0, lt=1.0)] | None = Field(None, description="reuters, boston_housing: the fraction kept for the test split.")
    label_mode: Literal["fine", "coarse"] | None = Field(None, description="cifar100: 100 fine or 20 coarse classes.")

    def loader_kwargs(self) -> dict[str, Any]:
        """The `keras.datasets.<name>.load_data` arguments given."""
        names = [name for names in self.loader_arguments.values() for name in names]
        return {name: getattr(self, name) for name in dict.fromkeys(names) if getattr(self, name) is not None}


class PythonSource(_Source):
    source: Literal["python"]
    function: Annotated[str, Field(pattern=FUNCTION_PATTERN)] = Field(description="module:attr of a function returning a dataset, PyDataset, generator or (x, y).")
    kwargs: dict[str, Any] = Field(default_factory=dict)


DataSource = Annotated[
    SyntheticSource | NpzSource | CsvSource | ParquetSource | TFRecordSource | TfdsSource | ImagesSource | KerasSource | PythonSource,
    Field(discriminator="source"),
]


class Data(Section):
    train: DataSource | None = None
    validation: DataSource | None = None
    test: DataSource | None = None
