"""The shipped CSV files of recipes/data, read as plain columns for Keras code written by hand."""

from __future__ import annotations

import csv

import numpy as np

from .conftest import REPO


def training_rows(name: str, fraction: float = 0.8) -> list[dict[str, str]]:
    """The rows of recipes/data/NAME that fit trains on: the first `fraction` (the recipes' validation_split is 0.2)."""
    with open(REPO / "recipes" / "data" / name, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[: int(len(rows) * fraction)]


def training_columns(name: str) -> dict[str, np.ndarray]:
    """Each column of the training rows as a (samples, 1) array of text."""
    rows = training_rows(name)
    return {column: np.array([[row[column]] for row in rows]) for column in rows[0]}
