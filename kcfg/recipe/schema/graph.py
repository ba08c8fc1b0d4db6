"""`model` and `submodels`: layer graphs, their inputs and layer entries."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from kcfg.recipe.schema.base import NameList, PositiveInt, Section


class InputSpec(Section):
    shape: list[Annotated[int, Field(ge=0)] | None] = Field(description="Shape without the batch axis; null for a free axis.")
    dtype: str = Field("float32", description="Keras dtype, e.g. float32, int32, string.")
    sparse: bool = False
    batch_size: PositiveInt | None = None


def _shape_shorthand(value: Any) -> Any:
    if isinstance(value, list):
        return {"shape": value}
    if not isinstance(value, dict):
        raise PydanticCustomError("input_spec", "expected a shape such as [28, 28, 1] or {shape: [...], dtype: ...}, got {value}", {"value": repr(value)})
    return value


InputEntry = Annotated[InputSpec, BeforeValidator(_shape_shorthand, json_schema_input_type=Union[InputSpec, list[int | None]])]


Split = Literal["train", "validation", "test"]


class AdaptSpec(Section):
    """`adapt: {data: train, steps: N}`: adapt on the first N batches of a split."""

    data: Split = Field(description="The data split whose values reach the layer.")
    steps: PositiveInt | None = Field(None, description="Batches to adapt on (fit.batch_size each); default: the whole split.")


class LayerSpec(Section):
    """One layer entry. Keys other than the reserved ones are the layer constructor's arguments."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)
    type: str | None = Field(None, description="A keras.layers class, a submodel's name, or a plugin's class.")
    input: NameList | None = Field(None, description="Layer or input name(s) feeding this layer; default: the previous layer.")
    call: dict[str, Any] | None = Field(None, description="Keyword arguments of the layer's call; strings name layers.")
    share: str | None = Field(None, description="Call the very same layer object (shared weights) on this entry's input.")
    adapt: Split | AdaptSpec | None = Field(None, description="Adapt this preprocessing layer (Normalization, StringLookup, ...) on the values that reach it from a data split, before training.")

    @property
    def arguments(self) -> dict[str, Any]:
        """Constructor keyword arguments (everything that is not a reserved key)."""
        return dict(self.model_extra or {})


class Graph(Section):
    """A layer graph: `model`, or one entry of `submodels`."""

    name: str | None = Field(None, description="Keras model name of `model`; default: the recipe name. Submodel instances are named after the entries that use them.")
    inputs: dict[str, InputEntry] = Field(min_length=1, description="Named inputs; `img: [32, 32, 3]` is shorthand for `{shape: [...]}`.")
    layers: dict[str, LayerSpec] = Field(min_length=1, description="Ordered layers; each key is the Keras layer name.")
    outputs: NameList | None = Field(None, description="Output layer name(s); default: the last layer.")
