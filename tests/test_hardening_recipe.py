"""Hostile recipe text: bombs stay bounded in time and memory, and every printed line stays one honest line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from kcfg.recipe import RecipeError, load_recipe

from .conftest import REPO, kcfg

MODEL = "model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, units: 1}\n"
#: What one `kcfg validate` may use here; a bomb that expanded would need far more.
MEMORY_LIMIT = 1 << 30
SECONDS = 60


def validate_bounded(file: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`kcfg validate FILE` in a process limited to 1 GiB of memory and 60 s (a subprocess: the limit is its own)."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "kcfg", "validate", str(file), *args], cwd=REPO, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=SECONDS, preexec_fn=limit_memory,
    )


def alias_bomb(levels: int) -> str:
    lines = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return MODEL + "description: text\nbomb:\n" + "\n".join(lines) + "\n"


def merge_bomb(levels: int) -> str:
    lines = ["  m0: &m0 {k0: 1, k1: 2}"]
    lines += [f"  m{i}: &m{i} {{<<: [*m{i - 1}], n{i}: *m{i - 1}, o{i}: *m{i - 1}}}" for i in range(1, levels + 1)]
    return MODEL + "bomb:\n" + "\n".join(lines) + "\n"


def interpolation_bomb(levels: int) -> str:
    lines = ["  s0: aaaaaaaaaa"] + [f"  s{i}: '" + f"${{bomb.s{i - 1}}}" * 10 + "'" for i in range(1, levels + 1)]
    return MODEL + "bomb:\n" + "\n".join(lines) + "\n"


def reference_chain(links: int) -> str:
    lines = [f"  r{links}: end"] + [f"  r{i}: '${{chain.r{i + 1}}}'" for i in range(links - 1, -1, -1)]
    return MODEL + "description: '${chain.r0}'\nchain:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (alias_bomb(8), ":13:7: this value expands to 5,380,840 values through YAML aliases or merge keys"),
        (merge_bomb(20), "through YAML aliases or merge keys"),
        (interpolation_bomb(8), "bomb.s6: interpolation makes a string of 10,000,000 characters"),
        (MODEL + "description: " + "[" * 990 + "]" * 990 + "\n", ":5:903: values nest more than 100 levels deep"),
        (reference_chain(600), "references lead through more than 64 other references"),
        (MODEL + "description: &d [a, *d]\n", "this value contains itself through a YAML alias"),
    ],
    ids=["alias", "merge-key", "interpolation", "nesting", "reference-chain", "recursive-alias"],
)
def test_bombs_end_in_one_located_error_within_bounds(write, text: str, expected: str) -> None:
    result = validate_bounded(write("bomb.yaml", text))
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert expected in line and "bomb.yaml:" in line, line


def test_aliases_that_stay_small_still_work(write) -> None:
    loaded = load_recipe(write("r.yaml", MODEL.replace("out: {type: Dense, units: 1}", "h: &dense {type: Dense, units: 4}\n    out: {<<: *dense, units: 1}")))
    assert loaded.recipe.model.layers["h"].arguments == {"units": 4} and loaded.recipe.model.layers["out"].arguments == {"units": 1}


def test_a_nul_byte_is_located(write) -> None:
    with pytest.raises(RecipeError) as caught:
        load_recipe(write("r.yaml", MODEL + "description: 'a\x00b'\n"))
    assert str(caught.value.problems[0]).endswith("r.yaml:5:16: character U+0000 is not allowed in YAML text")


def test_an_escaped_nul_in_a_path_is_a_located_error_even_in_safe_mode(write) -> None:
    """YAML's "\\0" escape reaches past the reader; found by the 10,000-mutation test as an internal error."""
    recipe = write("r.yaml", 'extends: "base\\0.yaml"\n' + MODEL + 'data: {train: {source: npz, path: "a\\0b.npz"}}\n')
    for safe in ((), ("--safe",)):
        result = kcfg("validate", *safe, str(recipe))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.splitlines()
        assert lines[0].endswith("r.yaml:1:10: extends: a NUL character (\\0) is not allowed in a recipe"), result.stderr
        assert any("data.train.path: a NUL character" in line for line in lines), result.stderr


def test_the_duplicate_merge_key_line_is_given(write) -> None:
    with pytest.raises(RecipeError, match=r"r.yaml:6:7: model.layers.out: duplicate key '<<' \(first written on line 5\)"):
        load_recipe(write("r.yaml", MODEL.replace("out: {type: Dense, units: 1}", "h: &a {type: Dense, units: 4}\n    out: {<<: *a,\n      <<: *a}")))


def test_a_key_with_a_newline_or_escape_cannot_forge_or_colour_a_line(write) -> None:
    file = write("r.yaml", MODEL.replace("out:", '"out\\nFORGED.yaml: ok\\u001b[31m":').replace("units: 1", "unit: 1"))
    result = kcfg("validate", str(file))
    assert result.returncode == 2
    assert "FORGED.yaml: ok" not in result.stdout.splitlines() + result.stderr.splitlines()
    assert "\x1b" not in result.stdout + result.stderr
    assert "out\\nFORGED.yaml: ok\\x1b[31m: Dense has no argument 'unit'" in result.stderr  # the layer named, escaped


def test_environment_values_are_never_printed(write, tmp_path: Path) -> None:
    secret = "hunter2-token"
    file = write("r.yaml", MODEL + "fit: {epochs: '${env:KCFG_TEST_SECRET}'}\n")
    result = kcfg("validate", str(file), env={"KCFG_TEST_SECRET": secret})
    assert result.returncode == 2 and secret not in result.stdout + result.stderr
    assert "fit.epochs: expected an integer, got '${env:KCFG_TEST_SECRET}'" in result.stderr
    good = write("s.yaml", MODEL + "description: 'token ${env:KCFG_TEST_SECRET}'\n")
    shown = kcfg("show", str(good), "--safe", env={"KCFG_TEST_SECRET": secret})
    assert shown.returncode == 0 and secret not in shown.stdout and "token ${env:KCFG_TEST_SECRET}" in shown.stdout
