"""The build stage: a validated recipe -> `keras.Model`. Imports Keras only when called."""

from kcfg.builder.graph import BuiltGraph, build_model

__all__ = ["BuiltGraph", "build_model"]
