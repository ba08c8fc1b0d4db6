"""`data`: training, validation and test sources, one model per source kind."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from kcfg.recipe.schema.base import FUNCTION_PATTERN, PositiveInt, Section, Seed

Mapping = Union[str, dict[str, str | list[str]]]


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


class ImagesSource(_Source):
    source: Literal["images"]
    path: str
    image_size: list[Annotated[int, Field(ge=1, le=16384)]] = Field(default_factory=lambda: [256, 256], min_length=2, max_length=2)
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb"
    label_mode: Literal["int", "categorical", "binary"] | None = "int"


class KerasSource(_Source):
    source: Literal["keras"]
    name: Literal["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing"]
    split: Literal["train", "test"] = "train"


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
