"""The safe YAML 1.2 loader: scalars, duplicate keys, tags, positions, and dumping back."""

from __future__ import annotations

import math

import pytest

from kcfg.recipe.errors import Location, RecipeError
from kcfg.recipe.yaml_io import dump_yaml, parse_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-3", 0.001),
        ("5E4", 50000.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("-2", -2),
        ("0x1F", 31),
        ("0o17", 15),
        (".inf", math.inf),
        ("-.inf", -math.inf),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("1_000", "1_000"),
        ("0755", 755),
        ("'1e-3'", "1e-3"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ("!!float 3", 3.0),
    ],
)
def test_yaml_1_2_scalars(text: str, value: object) -> None:
    data, _ = parse_yaml(f"v: {text}\n", "t.yaml")
    assert data["v"] == value
    assert type(data["v"]) is type(value)


def test_nan() -> None:
    data, _ = parse_yaml("v: .nan\n", "t.yaml")
    assert math.isnan(data["v"])


def test_positions_point_at_keys_and_items() -> None:
    text = "model:\n  layers:\n    conv1: {type: Conv2D, filters: 3}\nlist:\n  - a\n  - b\n"
    _, positions = parse_yaml(text, "r.yaml")
    assert positions[("model",)] == Location("r.yaml", 1, 1)
    assert positions[("model", "layers", "conv1")] == Location("r.yaml", 3, 5)
    assert positions[("model", "layers", "conv1", "filters")] == Location("r.yaml", 3, 27)
    assert positions[("list", 1)] == Location("r.yaml", 6, 5)


def test_duplicate_keys_are_errors_not_overwrites() -> None:
    with pytest.raises(RecipeError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml")
    (problem,) = caught.value.problems
    assert str(problem) == "d.yaml:3:1: a: duplicate key 'a' (first written on line 1)"


def test_int_and_str_keys() -> None:
    data, _ = parse_yaml("class_weight: {0: 1.0, 1: 3.0}\n", "c.yaml")
    assert data["class_weight"] == {0: 1.0, 1: 3.0}


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system", "!custom", "!!binary", "!!set", "!!timestamp"])
def test_other_tags_rejected(tag: str) -> None:
    with pytest.raises(RecipeError, match="is not allowed: recipes are read with a safe loader"):
        parse_yaml(f"v: {tag} x\n", "t.yaml")


def test_anchors_and_merge_keys() -> None:
    text = "base: &b {units: 8, activation: relu}\nlayer:\n  <<: *b\n  units: 16\n"
    data, _ = parse_yaml(text, "m.yaml")
    assert data["layer"] == {"units": 16, "activation": "relu"}


def test_all_problems_of_a_file_together() -> None:
    with pytest.raises(RecipeError) as caught:
        parse_yaml("a: !!python/name:x 1\nb: 1\nb: 2\n", "t.yaml")
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize("value", ["1e3", "yes", "true", "null", "12", "0x10", ".inf", "plain", "with: colon", "two\nlines\n", "[1, 2]"])
def test_dump_round_trips_strings(value: str) -> None:
    data, _ = parse_yaml(dump_yaml({"v": value, "n": 1e-3, "b": True, "z": None}), "dump.yaml")
    assert data == {"v": value, "n": 1e-3, "b": True, "z": None}


def test_dump_puts_leaf_collections_on_one_line() -> None:
    text = dump_yaml({"inputs": {"img": {"shape": [32, 32, 3]}}, "layers": {"d": {"type": "Dense", "units": 2}}})
    assert text == "inputs:\n  img:\n    shape: [32, 32, 3]\nlayers:\n  d: {type: Dense, units: 2}\n"
