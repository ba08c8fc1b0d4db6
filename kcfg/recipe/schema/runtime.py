"""`runtime`: Keras backend, distribution strategy, device, precision, determinism and the run directory."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from kcfg.recipe.schema.base import DEVICE_PATTERN, Section

Strategy = Literal["none", "mirrored", "data_parallel", "multi_worker", "tpu", "parameter_server"]
Backend = Literal["tensorflow", "jax"]


class DistributeSpec(Section):
    strategy: Strategy
    devices: list[str] | None = None
    processes: Annotated[int, Field(ge=1, description="data_parallel: worker processes `kcfg train` starts on this machine.")] | None = None


def _distribute_tag(value: Any) -> str | None:
    return "<object>" if isinstance(value, dict) else "<name>"


class Runtime(Section):
    backend: Backend = Field("tensorflow", description="Keras backend, chosen before Keras loads: tensorflow, or jax (data_parallel across processes and machines).")
    distribute: Annotated[
        Annotated[Strategy, Tag("<name>")] | Annotated[DistributeSpec, Tag("<object>")],
        Discriminator(_distribute_tag),
    ] = "none"
    device: Annotated[str, Field(pattern=DEVICE_PATTERN)] = "auto"
    mixed_precision: Literal["mixed_float16", "mixed_bfloat16"] | None = None
    deterministic: bool = False
    run_dir: str = "runs/${name}/${timestamp}"

    @property
    def spec(self) -> DistributeSpec:
        """`distribute` as an object, whichever way it was written."""
        return self.distribute if isinstance(self.distribute, DistributeSpec) else DistributeSpec(strategy=self.distribute)

    @property
    def processes(self) -> int:
        """Worker processes on this machine: `distribute.processes` for data_parallel, else 1."""
        return (self.spec.processes or 1) if self.spec.strategy == "data_parallel" else 1
