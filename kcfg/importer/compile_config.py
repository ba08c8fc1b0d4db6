"""A saved model's `compile_config` -> the recipe's `compile:` section (RECIPE.md section 5).

The optimizer keeps only the arguments that differ from its class's defaults (its
`learning_rate` is saved as a float32, so `0.0010000000474974513` is written `0.001`);
losses, loss weights and metrics given per output as lists become mappings by output name,
as recipes write them.
"""

from __future__ import annotations

from typing import Any

from kcfg.importer.arguments import ArgumentWriter, plain_config, short_float

#: Options written only when they differ from the recipe's defaults; `jit_compile` is left
#: out, since Keras saves what `"auto"` resolved to on the machine that compiled it.
_DEFAULTS = {"steps_per_execution": 1, "run_eagerly": False}


def compile_section(config: dict[str, Any], outputs: list[str], writer: ArgumentWriter) -> dict[str, Any]:
    """The `compile:` section of a saved compile config; `outputs` are the model's output names in order."""
    section: dict[str, Any] = {}
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict) and "class_name" in optimizer:
        section["optimizer"] = writer.value("optimizer", {**optimizer, "config": short_float(optimizer.get("config", {}))}, "compile")
    elif isinstance(optimizer, str):
        section["optimizer"] = optimizer
    for key in ("loss", "loss_weights", "metrics", "weighted_metrics"):
        value = per_output(plain_config(config.get(key)), outputs, key)
        if value is not None:
            section[key] = objects(value, writer, key)
    for key, default in _DEFAULTS.items():
        if config.get(key, default) != default:
            section[key] = config[key]
    return section


def per_output(value: Any, outputs: list[str], key: str) -> Any:
    """A list with one item per output (a loss each, a list of metrics each) as a mapping by output name."""
    if not isinstance(value, list) or len(outputs) < 2 or len(value) != len(outputs):
        return value
    if key == "metrics" or key == "weighted_metrics":
        if not all(isinstance(v, list) or v is None for v in value):
            return value  # one list of metrics for every output
    return {name: v for name, v in zip(outputs, value) if v is not None}


def objects(value: Any, writer: ArgumentWriter, key: str) -> Any:
    """Losses and metrics: names stay, serialized objects become `{type: ...}`, functions their names."""
    if isinstance(value, dict) and "class_name" in value:
        if value["class_name"] == "function" and isinstance(value.get("config"), str):
            return writer.function_name(value["config"], f"compile.{key}", prefixed=False)
        return writer.value(key, value, "compile")
    if isinstance(value, dict):
        return {k: objects(v, writer, key) for k, v in value.items()}
    if isinstance(value, list):
        return [objects(v, writer, key) for v in value]
    if isinstance(value, str):
        return writer.function_name(value, f"compile.{key}", prefixed=False) if ">" in value else value
    return value
