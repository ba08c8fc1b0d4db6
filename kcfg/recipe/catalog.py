"""Keras classes and names known without importing Keras: the generated `keras_catalog.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("keras_catalog.json")

@dataclass(frozen=True)
class ClassInfo:
    """A class's constructor keyword arguments; `open` when it takes any `**kwargs`; `adapts` when it has `adapt()`."""

    args: tuple[str, ...]
    required: tuple[str, ...] = ()
    open: bool = False
    call: tuple[str, ...] | None = None
    call_open: bool = False
    adapts: bool = False


@dataclass(frozen=True)
class Integration:
    """A class of another library that recipes name by its dotted path, and the extra that installs it."""

    info: ClassInfo
    extra: str


#: Classes kcfg re-exports by their public dotted names (`{type: mlflow.keras.MlflowCallback}`). The list is
#: fixed here, so `--safe` allows them: a recipe can reach no other module this way.
INTEGRATIONS: dict[str, dict[str, Integration]] = {
    "callbacks": {"mlflow.keras.MlflowCallback": Integration(ClassInfo(args=("log_every_epoch", "log_every_n_steps", "model_id")), "tracking")},
}


@cache
def _catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return data


def keras_class(category: str, name: str) -> ClassInfo | None:
    """The catalog entry of `keras.<category>.<name>` (or of an integration's class), or None."""
    if name in INTEGRATIONS.get(category, {}):
        return INTEGRATIONS[category][name].info
    entry = _catalog()[category].get("classes", {}).get(name)
    if entry is None:
        return None
    call = entry.get("call")
    return ClassInfo(
        args=tuple(entry["args"]),
        required=tuple(entry.get("required", ())),
        open=entry.get("open", False),
        call=tuple(call) if call is not None else None,
        call_open=entry.get("call_open", False),
        adapts=entry.get("adapt", False),
    )


def class_names(category: str) -> list[str]:
    return [*_catalog()[category].get("classes", {}), *INTEGRATIONS.get(category, {})]


@cache
def string_names(category: str) -> frozenset[str]:
    """Identifiers `keras.<category>.get(name)` accepts (snake_case functions, aliases, classes)."""
    section = _catalog()[category]
    return frozenset(section.get("names", ())) | frozenset(section.get("classes", ()))
