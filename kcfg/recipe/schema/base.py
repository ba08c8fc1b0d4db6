"""The building blocks of the recipe schema: strict sections, `{type: ...}` objects, name lists, patterns."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from kcfg.recipe.suggest import did_you_mean

#: Counts (samples, batches, epochs, steps): TensorFlow holds them in 32-bit integers.
PositiveInt = Annotated[int, Field(ge=1, le=2**31 - 1)]
#: What `keras.utils.set_random_seed` (NumPy's generator) accepts.
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
DEVICE_PATTERN = r"^(auto|cpu|gpu|cpu:\d+|gpu:\d+)$"
FUNCTION_PATTERN = r"^[\w.]+:[\w.]+$"
PLUGIN_PATTERN = r"^([A-Za-z_]\w*(\.[A-Za-z_]\w*)*|[^\x00]+\.py)$"
#: What a string constrained by a pattern should look like, for error messages.
PATTERN_HINTS = {
    DEVICE_PATTERN: "auto, cpu, gpu, cpu:N or gpu:N",
    FUNCTION_PATTERN: "module:function, e.g. my_pkg.data:load",
    PLUGIN_PATTERN: "a module (my_pkg.layers) or a .py file beside the recipe",
}
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


class FactoryCall(Section):
    """`{factory: name, ...kwargs}`: what a plugin function returns when called with these arguments."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)
    factory: str = Field(description="A plugin function that makes the object (`loss(margin=1)` in a script).")


def plain(value: Any) -> Any:
    """Validated values back to the plain data they were written as (`{type: ...}`, `{factory: ...}` mappings)."""
    if isinstance(value, KerasObject):
        return {"type": value.type, **{k: plain(v) for k, v in (value.model_extra or {}).items()}}
    if isinstance(value, FactoryCall):
        return {"factory": value.factory, **{k: plain(v) for k, v in (value.model_extra or {}).items()}}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def object_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<name>"
    if isinstance(value, dict):
        return "<factory>" if "factory" in value else "<object>"
    return None


ObjectRef = Annotated[
    Annotated[str, Tag("<name>")] | Annotated[KerasObject, Tag("<object>")] | Annotated[FactoryCall, Tag("<factory>")],
    Discriminator(object_tag, custom_error_type="object_ref", custom_error_message="expected a name, a {type: ...} or a {factory: ...} mapping"),
]


def as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[str], BeforeValidator(as_list, json_schema_input_type=Union[str, list[str]])]
