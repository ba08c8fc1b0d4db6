"""Developer tool: `docs/reference.md`, every recipe key, written from the JSON Schema so it cannot drift (`make docs`)."""

from __future__ import annotations

import json
from typing import Any

from kcfg.recipe.schema import Recipe
from kcfg.recipe.schema.editor_schema import plain_json_schema

#: Sections in reading order: (title, $defs name or None for the top level, where it sits).
SECTIONS = [
    ("Top level", None, "the recipe file"),
    ("Layer graph", "Graph", "`model`, and each entry of `submodels`"),
    ("Input", "InputSpec", "each entry of `inputs`"),
    ("Layer entry", "LayerSpec", "each entry of `layers`; other keys are the layer's constructor arguments (a block's parameters with `block:`)"),
    ("Block", "Block", "each entry of `blocks`"),
    ("Keras object", "KerasObject", "`{type: ...}` anywhere Keras takes an object; other keys are its arguments"),
    ("Compile", "Compile", "`compile`"),
    ("Fit", "Fit", "`fit`"),
    ("Evaluate", "Evaluate", "`evaluate`"),
    ("Data", "Data", "`data`"),
    ("Source: synthetic", "SyntheticSource", "`data.*` with `source: synthetic`"),
    ("Source: npz / npy", "NpzSource", "`data.*` with `source: npz` or `npy`"),
    ("Source: csv", "CsvSource", "`data.*` with `source: csv`"),
    ("Source: images", "ImagesSource", "`data.*` with `source: images`"),
    ("Source: keras", "KerasSource", "`data.*` with `source: keras`"),
    ("Source: python", "PythonSource", "`data.*` with `source: python`"),
    ("Runtime", "Runtime", "`runtime`"),
    ("Distribution", "DistributeSpec", "`runtime.distribute` written as a mapping"),
    ("Tune", "Tune", "`tune`: a hyperparameter search with `kcfg tune`"),
    ("Tune objective", "Objective", "`tune.objective`"),
    ("Space: int", "IntRange", "an entry of `tune.space` with `int:`"),
    ("Space: float", "FloatRange", "an entry of `tune.space` with `float:`"),
    ("Space: choice", "ChoiceRange", "an entry of `tune.space` with `choice:`"),
]


def type_text(node: dict[str, Any]) -> str:
    """A short human form of a JSON Schema type."""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if "enum" in node:
        return " \\| ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    if "anyOf" in node:
        parts = []
        for option in node["anyOf"]:
            text = type_text(option)
            if text not in parts:
                parts.append(text)
        return " \\| ".join(parts)
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {type_text(node.get('items', {}))}"
    if kind == "object":
        values = node.get("additionalProperties")
        return f"mapping of {type_text(values)}" if isinstance(values, dict) else "mapping"
    bounds = [f">= {node['minimum']}" if "minimum" in node else "", f"< {node['exclusiveMaximum']}" if "exclusiveMaximum" in node else ""]
    extra = ", ".join(b for b in bounds if b)
    return f"{kind} ({extra})" if extra else str(kind)


def section_table(node: dict[str, Any]) -> list[str]:
    required = set(node.get("required", []))
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, prop in node.get("properties", {}).items():
        default = "required" if key in required else json.dumps(prop["default"]) if "default" in prop else ""
        description = " ".join(prop.get("description", "").split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {type_text(prop)} | {default} | {description} |")
    return lines


def render() -> str:
    schema = plain_json_schema(Recipe.model_json_schema())  # the language's sections, without the catalog's classes
    lines = [
        "# Recipe reference",
        "",
        "Generated from kcfg's pydantic models by `make docs`; a test fails when this file is stale.",
        "The language itself is described in the README and the cookbook (`docs/cookbook.md`).",
        "",
    ]
    for title, name, where in SECTIONS:
        node = schema if name is None else schema["$defs"][name]
        lines += [f"## {title}", "", f"Where: {where}.", ""]
        if node.get("description") and name is not None:
            lines += [" ".join(node["description"].split()), ""]
        lines += section_table(node) + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
