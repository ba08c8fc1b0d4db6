"""The JSON Schema that editors and validators read, generated from the pydantic models and the Keras catalog.

The pydantic models give the recipe's sections; the catalog gives every Keras layer and
callback class with its constructor arguments, so an editor completes `type:` from every
class (any other string stays allowed: plugin classes, submodels) and completes and checks
each class's arguments. What comes out compiles in ajv's strict mode: tagged unions are
plain `anyOf` (pydantic's OpenAPI `discriminator` keyword is dropped), and a recipe that
`extends` another may give only part of `model`.
"""

from __future__ import annotations

from typing import Any

from kcfg.recipe.catalog import class_names, keras_class, string_names
from kcfg.recipe.grammar import KERAS_MODULES, argument_category
from kcfg.recipe.schema.recipe import Recipe

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Argument categories whose names an editor can offer (`activation: relu`).
NAMED_CATEGORIES = ("activations", "initializers", "regularizers", "constraints")


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def plain_json_schema(node: Any) -> Any:
    """Standard JSON Schema: `oneOf` becomes `anyOf` and OpenAPI's `discriminator` goes.

    As `oneOf`, a `{type: Adam}` loss would match both the object branch and the
    per-output mapping branch, and editors would reject it.
    """
    if isinstance(node, dict):
        return {("anyOf" if key == "oneOf" else key): plain_json_schema(value) for key, value in node.items() if key != "discriminator"}
    if isinstance(node, list):
        return [plain_json_schema(value) for value in node]
    return node


def named_value(category: str) -> dict[str, Any]:
    """A Keras name (offered from the catalog), any other string (a plugin's), `{type: ...}` or null."""
    return {"anyOf": [{"enum": sorted(string_names(category))}, {"type": "string"}, ref("KerasObject"), {"type": "null"}]}


def argument_schema(argument: str) -> dict[str, Any]:
    category = argument_category(argument)
    if category in NAMED_CATEGORIES:
        return ref(f"keras.{category}")
    if category == "layers":
        return ref("keras.layers")
    return {}


def class_schema(category: str, name: str, reserved: dict[str, Any]) -> dict[str, Any]:
    """One class's keys: the reserved keys of its entry and its constructor arguments (all, if it takes **kwargs)."""
    info = keras_class(category, name)
    assert info is not None
    properties: dict[str, Any] = {**reserved, **{arg: argument_schema(arg) for arg in info.args if arg not in reserved}}
    if info.call is not None and "call" in reserved:
        properties["call"] = {"anyOf": [{"type": "object", "properties": {arg: {} for arg in info.call}, "additionalProperties": info.call_open}, {"type": "null"}]}
    qualified = name if "." in name else f"{KERAS_MODULES[category][0]}.{name}"  # integrations are named by their own path
    return {"type": "object", "description": qualified, "properties": properties, "additionalProperties": info.open}


def class_dispatch(category: str) -> list[dict[str, Any]]:
    """`if type is C then C's keys`, for every class of the category (as `allOf`, so each applies on its own)."""
    return [{"if": {"properties": {"type": {"const": name}}, "required": ["type"]}, "then": ref(f"{KERAS_MODULES[category][0]}.{name}")} for name in class_names(category)]


def type_choice(category: str, description: str) -> dict[str, Any]:
    """`type:` of a category: every catalog class offered, any other string accepted."""
    return {"description": description, "anyOf": [{"enum": class_names(category)}, {"type": "string"}]}


def keras_definitions(layer_spec: dict[str, Any]) -> dict[str, Any]:
    """Definitions for layer entries, nested layers and callbacks, one per Keras class."""
    defs: dict[str, Any] = {}
    reserved_layer: dict[str, Any] = {key: {} for key in layer_spec["properties"]}
    for name in class_names("layers"):
        defs[f"keras.layers.{name}"] = class_schema("layers", name, reserved_layer)
    for name in class_names("callbacks"):
        defs[f"keras.callbacks.{name}"] = class_schema("callbacks", name, {"type": {}})
    layer_type = layer_spec["properties"]["type"]
    defs["LayerSpec"] = {
        **layer_spec,
        "properties": {**layer_spec["properties"], "type": {**layer_type, "anyOf": [*type_choice("layers", "")["anyOf"], {"type": "null"}]}},
        "allOf": class_dispatch("layers"),
    }
    defs["keras.layers"] = {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"type": type_choice("layers", "A keras.layers class or a plugin's.")}, "required": ["type"], "allOf": class_dispatch("layers")}]}
    defs["Callback"] = {"type": "object", "properties": {"type": type_choice("callbacks", "A keras.callbacks class or a plugin's.")}, "required": ["type"], "allOf": class_dispatch("callbacks")}
    for category in NAMED_CATEGORIES:
        defs[f"keras.{category}"] = named_value(category)
    return defs


def allow_partial_model(schema: dict[str, Any]) -> None:
    """A recipe that `extends` a base may give any part of `model` and `submodels`; others need whole graphs."""
    defs = schema["$defs"]
    defs["GraphPart"] = {key: value for key, value in defs["Graph"].items() if key != "required"}
    defs["GraphPart"]["description"] = "Part of a layer graph, merged over the base recipe's (`extends`)."
    properties = schema["properties"]
    properties["model"] = {**properties["model"], "$ref": "#/$defs/GraphPart"}
    properties["submodels"] = {**properties["submodels"], "additionalProperties": ref("GraphPart")}
    required = [key for key in schema.pop("required", []) if key != "model"]
    if required:
        schema["required"] = required
    schema["if"] = {"properties": {"extends": {}}, "required": ["extends"]}
    schema["else"] = {"required": ["model"], "properties": {"model": ref("Graph"), "submodels": {"type": "object", "additionalProperties": ref("Graph")}}}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of recipes (`kcfg schema`, `schemas/recipe.schema.json`)."""
    schema: dict[str, Any] = plain_json_schema(Recipe.model_json_schema())
    schema = {"$schema": DRAFT, **schema}
    schema["$defs"].update(keras_definitions(schema["$defs"]["LayerSpec"]))
    schema["properties"]["callbacks"]["items"] = ref("Callback")
    allow_partial_model(schema)
    return schema
