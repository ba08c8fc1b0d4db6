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
from kcfg.recipe.schema.graph import Graph, InputSpec, LayerSpec
from kcfg.recipe.schema.recipe import Recipe, json_schema
from kcfg.recipe.schema.runtime import DistributeSpec, Runtime
from kcfg.recipe.schema.training import Compile, Evaluate, Fit

__all__ = [
    "PATTERN_HINTS", "PLUGIN_PATTERN", "Compile", "CsvSource", "Data", "DataSource", "DistributeSpec", "Evaluate", "Fit",
    "Graph", "ImagesSource", "InputSpec", "KerasObject", "KerasSource", "LayerSpec", "NpzSource", "ParquetSource", "PythonSource", "Recipe",
    "Runtime", "Section", "SyntheticSource", "TFRecordSource", "TfdsSource", "UnknownKey", "json_schema", "plain",
]
