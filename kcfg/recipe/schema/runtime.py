"""`runtime`: distribution strategy, device, precision, determinism and the run directory."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from kcfg.recipe.schema.base import DEVICE_PATTERN, Section

Strategy = Literal["none", "mirrored", "multi_worker", "tpu", "parameter_server"]


class DistributeSpec(Section):
    strategy: Strategy
    devices: list[str] | None = None


def _distribute_tag(value: Any) -> str | None:
    return "<object>" if isinstance(value, dict) else "<name>"


class Runtime(Section):
    distribute: Annotated[
        Annotated[Strategy, Tag("<name>")] | Annotated[DistributeSpec, Tag("<object>")],
        Discriminator(_distribute_tag),
    ] = "none"
    device: Annotated[str, Field(pattern=DEVICE_PATTERN)] = "auto"
    mixed_precision: Literal["mixed_float16", "mixed_bfloat16"] | None = None
    deterministic: bool = False
    run_dir: str = "runs/${name}/${timestamp}"
