"""The recipe language as pydantic models: one place for validation, the JSON Schema and the docs.

Field shapes follow `RECIPE.md`, one module per part of a recipe; checks that need the
whole recipe (graph references, Keras class arguments, output names) live in
`graph_checks.py` and `section_checks.py`.
"""

from kcfg.recipe.schema.base import (
    PATTERN_HINTS,
    PLUGIN_PATTERN,
    KerasObject,
    Section,
    UnknownKey,
    plain,
)
from kcfg.recipe.schema.data import (
    CsvSource,
    Data,
    DataSource,
    ImagesSource,
    KerasSource,
    NpzSource,
    ParquetSource,
    PythonSource,
    SyntheticSource,
    TfdsSource,
    TFRecordSource,
)
from kcfg.recipe.schema.editor_schema import json_schema
from kcfg.recipe.schema.graph import Block, Graph, InputSpec, LayerSpec
from kcfg.recipe.schema.recipe import Recipe
from kcfg.recipe.schema.runtime import DistributeSpec, Runtime
from kcfg.recipe.schema.training import Compile, Evaluate, Fit
from kcfg.recipe.schema.tune import ChoiceRange, FloatRange, IntRange, Objective, SpaceRange, Tune, objective_direction

__all__ = [
    "PATTERN_HINTS", "PLUGIN_PATTERN", "Block", "ChoiceRange", "Compile", "CsvSource", "Data", "DataSource", "DistributeSpec",
    "Evaluate", "Fit", "FloatRange", "Graph", "ImagesSource", "InputSpec", "IntRange", "KerasObject", "KerasSource", "LayerSpec",
    "NpzSource", "Objective", "ParquetSource", "PythonSource", "Recipe", "Runtime", "Section", "SpaceRange", "SyntheticSource",
    "TFRecordSource", "TfdsSource", "Tune", "UnknownKey", "json_schema", "objective_direction", "plain",
]
