"""`compile`, `fit` and `evaluate`: the options of Keras's Model methods."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag

from kcfg.recipe.schema.base import (
    FactoryCall,
    KerasObject,
    NonNegativeInt,
    ObjectRef,
    PositiveInt,
    Section,
    object_tag,
)


def _loss_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return object_tag(value) if "type" in value or "factory" in value else "<per_output>"
    if isinstance(value, list):
        return "<list>"
    return object_tag(value)


LossSpec = Annotated[
    Annotated[str, Tag("<name>")] | Annotated[KerasObject, Tag("<object>")] | Annotated[FactoryCall, Tag("<factory>")]
    | Annotated[dict[str, ObjectRef | None], Tag("<per_output>")] | Annotated[list[ObjectRef | None], Tag("<list>")],
    Discriminator(_loss_tag, custom_error_type="loss_spec", custom_error_message="expected a loss name, a {type: ...} or {factory: ...} mapping, or a mapping from output name to loss"),
]


def _metrics_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, dict):
        return "<per_output>"
    return None


OneOrMoreMetrics = Annotated[
    Annotated[ObjectRef, Tag("<one>")] | Annotated[list[ObjectRef], Tag("<list>")],
    Discriminator(lambda value: "<list>" if isinstance(value, list) else "<one>"),
]
MetricsSpec = Annotated[
    Annotated[list[ObjectRef], Tag("<list>")] | Annotated[dict[str, OneOrMoreMetrics], Tag("<per_output>")],
    Discriminator(_metrics_tag, custom_error_type="metrics_spec", custom_error_message="expected a list of metrics or a mapping from output name to metrics"),
]


def _weights_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "<list>"
    return "<per_output>" if isinstance(value, dict) else None


LossWeights = Annotated[
    Annotated[list[float], Tag("<list>")] | Annotated[dict[str, float], Tag("<per_output>")],
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
    loss: LossSpec | None = Field(None, description="Loss name, {type: ...}, plugin function, {factory: plugin_function, ...kwargs}, `y_pred`, or a mapping by output name.")
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
