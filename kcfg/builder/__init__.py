"""The builder stage: a loaded recipe -> `keras.Model`. Imports Keras only when called."""

from kcfg.builder.graph import BuiltGraph, build_model
from kcfg.builder.keras_errors import KerasBoundary, one_line
from kcfg.builder.objects import ObjectFactory
from kcfg.builder.plot import FORMATS, GraphDrawing, rendered
from kcfg.builder.plugins import Plugins, load_plugins
from kcfg.builder.summary import summary_text

__all__ = [
    "FORMATS", "BuiltGraph", "GraphDrawing", "KerasBoundary", "ObjectFactory", "Plugins",
    "build_model", "load_plugins", "one_line", "rendered", "summary_text",
]
