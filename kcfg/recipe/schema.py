"""The recipe language as pydantic models: one place for validation, the JSON Schema and the docs.

Field shapes follow `RECIPE.md`; checks that need the whole recipe (graph references,
Keras class arguments, output names) live in `graph_checks.py` and `section_checks.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from kcfg.recipe.suggest import did_you_mean

PositiveInt = Annotated[int, Field(ge=1)]
DEVICE_PATTERN = r"^(auto|cpu|gpu|cpu:\d+|gpu:\d+)$"
FUNCTION_PATTERN = r"^[\w.]+:[\w.]+$"
#: What a string constrained by a pattern should look like, for error messages.
PATTERN_HINTS = {DEVICE_PATTERN: "auto, cpu, gpu, cpu:N or gpu:N", FUNCTION_PATTERN: "module:function, e.g. my_pkg.data:load"}
NonNegativeInt = Annotated[int, Field(ge=0)]


class UnknownKey:
    """Stands in for the value of a key the section does not have, carrying the hint to show."""

    __slots__ = ("hint",)

    def __init__(self, hint: str) -> None:
        self.hint = hint


class Section(BaseModel):
    """A mapping with a fixed set of keys. Unknown keys are errors with a 'did you mean'.

    `removed` names Keras 2 options and says what to write instead.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)
    removed: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _mark_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict) or cls.model_config.get("extra") == "allow":
            return data
        fields = cls.model_fields
        if all(key in fields for key in data):
            return data
        marked = {}
        for key, value in data.items():
            if key in fields:
                marked[key] = value
            elif key in cls.removed:
                marked[key] = UnknownKey(f"{key!r} was removed in Keras 3: {cls.removed[key]}")
            else:
                marked[key] = UnknownKey(f"unknown key {key!r}{did_you_mean(key, fields)}")
        return marked


class KerasObject(Section):
    """`{type: Class, ...kwargs}`: a Keras object built from its class name and arguments."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)
    type: str = Field(description="Class name (Keras, or registered by a plugin).")


def plain(value: Any) -> Any:
    """Validated values back to the plain data they were written as (`{type: ...}` mappings)."""
    if isinstance(value, KerasObject):
        return {"type": value.type, **{k: plain(v) for k, v in (value.model_extra or {}).items()}}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _object_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<name>"
    if isinstance(value, dict):
        return "<object>"
    return None


ObjectRef = Annotated[
    Union[Annotated[str, Tag("<name>")], Annotated[KerasObject, Tag("<object>")]],
    Discriminator(_object_tag, custom_error_type="object_ref", custom_error_message="expected a name or a {type: ...} mapping"),
]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=Union[str, list[str]])]


# ---------------------------------------------------------------------------- model graph


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


InputEntry = Annotated[InputSpec, BeforeValidator(_shape_shorthand, json_schema_input_type=Union[InputSpec, list[Union[int, None]]])]


class LayerSpec(Section):
    """One layer entry. Keys other than the reserved ones are the layer constructor's arguments."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)
    type: str | None = Field(None, description="A keras.layers class, a submodel's name, or a plugin's class.")
    input: NameList | None = Field(None, description="Layer or input name(s) feeding this layer; default: the previous layer.")
    call: dict[str, Any] | None = Field(None, description="Keyword arguments of the layer's call; strings name layers.")
    share: str | None = Field(None, description="Call the very same layer object (shared weights) on this entry's input.")

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


# ---------------------------------------------------------------------------- compile / fit


def _loss_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return "<object>" if "type" in value else "<per_output>"
    if isinstance(value, list):
        return "<list>"
    return _object_tag(value)


LossSpec = Annotated[
    Union[
        Annotated[str, Tag("<name>")],
        Annotated[KerasObject, Tag("<object>")],
        Annotated[dict[str, Union[ObjectRef, None]], Tag("<per_output>")],
        Annotated[list[Union[ObjectRef, None]], Tag("<list>")],
    ],
    Discriminator(_loss_tag, custom_error_type="loss_spec", custom_error_message="expected a loss name, a {type: ...} mapping, or a mapping from output name to loss"),
]


def _metrics_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, dict):
        return "<per_output>"
    return None


OneOrMoreMetrics = Annotated[
    Union[Annotated[ObjectRef, Tag("<one>")], Annotated[list[ObjectRef], Tag("<list>")]],
    Discriminator(lambda value: "<list>" if isinstance(value, list) else "<one>"),
]
MetricsSpec = Annotated[
    Union[Annotated[list[ObjectRef], Tag("<list>")], Annotated[dict[str, OneOrMoreMetrics], Tag("<per_output>")]],
    Discriminator(_metrics_tag, custom_error_type="metrics_spec", custom_error_message="expected a list of metrics or a mapping from output name to metrics"),
]


def _weights_tag(value: Any) -> str | None:
    return {list: "<list>", dict: "<per_output>"}.get(type(value))


LossWeights = Annotated[
    Union[Annotated[list[float], Tag("<list>")], Annotated[dict[str, float], Tag("<per_output>")]],
    Discriminator(_weights_tag, custom_error_type="loss_weights", custom_error_message="expected a list of numbers in output order or a mapping from output name to number"),
]


class Compile(Section):
    """Options of `Model.compile`."""

    removed: ClassVar[dict[str, str]] = {
        "sample_weight_mode": "pass a 2-D sample_weight (data.*.sample_weight) for temporal weighting",
        "target_tensors": "feed targets through data.train.y",
        "distribute": "set runtime.distribute",
        "experimental_run_tf_function": "remove it; use run_eagerly to debug",
    }
    optimizer: ObjectRef = Field("rmsprop", description="Optimizer name or {type: ...}; learning_rate may be a schedule.")
    loss: LossSpec | None = Field(None, description="Loss name, {type: ...}, plugin function, `y_pred`, or a mapping by output name.")
    loss_weights: LossWeights | None = None
    metrics: MetricsSpec | None = None
    weighted_metrics: MetricsSpec | None = None
    steps_per_execution: PositiveInt = 1
    jit_compile: bool | Literal["auto"] = "auto"
    run_eagerly: bool = False


class Fit(Section):
    """Options of `Model.fit`."""

    removed: ClassVar[dict[str, str]] = {
        "workers": "set workers on the keras.utils.PyDataset your python data source returns",
        "use_multiprocessing": "set use_multiprocessing on the keras.utils.PyDataset your python data source returns",
        "max_queue_size": "set max_queue_size on the keras.utils.PyDataset your python data source returns",
        "sample_weight": "give data.train.sample_weight",
        "validation_data": "give data.validation",
    }
    batch_size: PositiveInt | None = Field(None, description="Default 32; ignored by sources that batch themselves.")
    epochs: PositiveInt = 1
    initial_epoch: NonNegativeInt = 0
    steps_per_epoch: PositiveInt | None = None
    validation_split: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    validation_steps: PositiveInt | None = None
    validation_batch_size: PositiveInt | None = None
    validation_freq: PositiveInt = 1
    shuffle: bool = True
    class_weight: dict[NonNegativeInt, float] | None = None
    verbose: Literal["auto", 0, 1, 2] = "auto"


class Evaluate(Section):
    """Options of `Model.evaluate`."""

    batch_size: PositiveInt | None = None
    steps: PositiveInt | None = None
    verbose: Literal["auto", 0, 1, 2] = "auto"


# ---------------------------------------------------------------------------- data

Mapping = Union[str, dict[str, Union[str, list[str]]]]


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
    seed: int | None = None


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
    image_size: list[PositiveInt] = Field(default_factory=lambda: [256, 256], min_length=2, max_length=2)
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
    Union[SyntheticSource, NpzSource, CsvSource, ImagesSource, KerasSource, PythonSource],
    Field(discriminator="source"),
]


class Data(Section):
    train: DataSource | None = None
    validation: DataSource | None = None
    test: DataSource | None = None


# ---------------------------------------------------------------------------- runtime


Strategy = Literal["none", "mirrored", "multi_worker", "tpu", "parameter_server"]


class DistributeSpec(Section):
    strategy: Strategy
    devices: list[str] | None = None


def _distribute_tag(value: Any) -> str | None:
    return "<object>" if isinstance(value, dict) else "<name>"


class Runtime(Section):
    distribute: Annotated[
        Union[Annotated[Strategy, Tag("<name>")], Annotated[DistributeSpec, Tag("<object>")]],
        Discriminator(_distribute_tag),
    ] = "none"
    device: Annotated[str, Field(pattern=DEVICE_PATTERN)] = "auto"
    mixed_precision: Literal["mixed_float16", "mixed_bfloat16"] | None = None
    deterministic: bool = False
    run_dir: str = "runs/${name}/${timestamp}"


# ---------------------------------------------------------------------------- recipe


class Recipe(Section):
    """A kcfg recipe (format version 1)."""

    removed: ClassVar[dict[str, str]] = {
        "fit_generator": "use fit with a python data source (data.train: {source: python, function: module:generator})",
    }
    kcfg: Literal[1] = Field(1, description="Recipe format version.")
    name: str | None = Field(None, description="Run name; default: the file's stem.")
    description: str | None = Field(None, description="Free text.")
    extends: str | list[str] | None = Field(None, description="Base recipe(s), relative to this file, deep-merged under this one.")
    seed: int | None = Field(None, description="Seeds Python, NumPy and TensorFlow.")
    plugins: list[str] = Field(default_factory=list, description="Python modules (or .py files) to import before building.")
    model: Graph = Field(description="The layer graph; required unless a base recipe (`extends`) gives it.")
    submodels: dict[str, Graph] = Field(default_factory=dict, description="Named layer graphs usable as layer types.")
    data: Data | None = Field(None, description="Training, validation and test data.")
    compile: Compile | None = Field(None, description="Model.compile options.")
    fit: Fit = Field(default_factory=Fit, description="Model.fit options.")
    callbacks: list[KerasObject] = Field(default_factory=list, description="keras.callbacks (or plugin) classes as {type: ...}; ${run_dir} in paths.")
    evaluate: Evaluate = Field(default_factory=Evaluate, description="Model.evaluate options.")
    runtime: Runtime = Field(default_factory=Runtime, description="Distribution strategy, device, precision, determinism, run directory.")


def json_schema() -> dict[str, Any]:
    """The JSON Schema that editors use to complete and check recipes.

    Tagged unions become `anyOf`: as `oneOf` a `{type: Adam}` loss would match both the
    object branch and the per-output mapping branch, and editors would reject it.
    """

    def any_of(node: Any) -> Any:
        if isinstance(node, dict):
            return {("anyOf" if key == "oneOf" else key): any_of(value) for key, value in node.items()}
        if isinstance(node, list):
            return [any_of(value) for value in node]
        return node

    schema: dict[str, Any] = any_of(Recipe.model_json_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # a file that `extends` a base may leave `model` to the base
    schema["required"] = [key for key in schema.get("required", []) if key != "model"]
    schema["anyOf"] = [{"required": ["model"]}, {"required": ["extends"]}]
    if not schema["required"]:
        del schema["required"]
    return schema
