"""kcfg: Keras models, training runs and CI checks described in YAML recipes."""

__version__ = "0.1.0"
