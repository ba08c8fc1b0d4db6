"""The whole recipe (its JSON Schema for editors is made in `editor_schema.py`)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from kcfg.recipe.schema.base import PLUGIN_PATTERN, KerasObject, Section, Seed
from kcfg.recipe.schema.data import Data
from kcfg.recipe.schema.graph import Block, Graph
from kcfg.recipe.schema.runtime import Runtime
from kcfg.recipe.schema.training import Compile, Evaluate, Fit
from kcfg.recipe.schema.tune import Tune


class Recipe(Section):
    """A kcfg recipe (format version 1)."""

    removed: ClassVar[dict[str, str]] = {
        "fit_generator": "use fit with a python data source (data.train: {source: python, function: module:generator})",
    }
    kcfg: Literal[1] = Field(1, description="Recipe format version.")
    name: str | None = Field(None, description="Run name; default: the file's stem.")
    description: str | None = Field(None, description="Free text.")
    extends: str | list[str] | None = Field(None, description="Base recipe(s), relative to this file, deep-merged under this one.")
    seed: Seed | None = Field(None, description="Seeds Python, NumPy and TensorFlow.")
    plugins: list[Annotated[str, Field(pattern=PLUGIN_PATTERN)]] = Field(default_factory=list, description="Python modules (or .py files) to import before building.")
    model: Graph = Field(description="The layer graph; required unless a base recipe (`extends`) gives it.")
    submodels: dict[str, Graph] = Field(default_factory=dict, description="Named layer graphs usable as layer types.")
    blocks: dict[str, Block] = Field(default_factory=dict, description="Named, parameterised layer fragments, expanded in place where an entry says `block: NAME`.")
    data: Data | None = Field(None, description="Training, validation and test data.")
    compile: Compile | None = Field(None, description="Model.compile options.")
    fit: Fit = Field(default_factory=Fit, description="Model.fit options.")
    callbacks: list[KerasObject] = Field(default_factory=list, description="keras.callbacks (or plugin) classes as {type: ...}; ${run_dir} in paths.")
    evaluate: Evaluate = Field(default_factory=Evaluate, description="Model.evaluate options.")
    runtime: Runtime = Field(default_factory=Runtime, description="Distribution strategy, device, precision, determinism, run directory.")
    tune: Tune | None = Field(None, description="A hyperparameter search (kcfg tune): space, objective, algorithm.")

