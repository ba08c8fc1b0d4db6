"""`data`: training, validation and test sources, one model per source kind."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field

from kcfg.recipe.schema.base import FUNCTION_PATTERN, NonNegativeInt, PositiveInt, Section, Seed

#: An array key or column: a name, or a column's index in a CSV without a header.
Column = Union[str, Annotated[int, Field(ge=0)]]
Mapping = Union[Column, dict[str, Column | list[Column]]]


class _Source(Section):
    take: PositiveInt | None = Field(None, description="Use only the first N samples.")
    x: Mapping | None = Field(None, description="Model input name -> array key or column(s).")
    y: Mapping | None = Field(None, description="Model output name -> array key or column.")
    sample_weight: Mapping | None = None
    shuffle_buffer: PositiveInt | None = None
    cache: bool = False


class SyntheticSource(_Source):
    source: Literal["synthetic"]
    samples: PositiveInt = 256
    seed: Seed | None = None


class NpzSource(_Source):
    source: Literal["npz", "npy"]
    path: str


class CsvSource(_Source):
    source: Literal["csv"]
    path: str
    delimiter: str = ","
    header: bool = Field(True, description="false: the first row is data; columns are named by `columns`, else by their index (0, 1, ...).")
    columns: list[str] | None = Field(None, description="Names of the columns of a file without a header row.")
    labels: list[str] | dict[str, int] | None = Field(None, description="Target values as class ids: names in id order, or name -> id (e.g. {' >50K': 1, ' <=50K': 0}).")


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
    SyntheticSource | NpzSource | CsvSource | ImagesSource | KerasSource | PythonSource,
    Field(discriminator="source"),
]


class Data(Section):
    train: DataSource | None = None
    validation: DataSource | None = None
    test: DataSource | None = None
