"""Every file under tests/invalid/ is a broken recipe that says which problems it must produce.

Each `# expect: LINE:COL message fragment` line (or `# expect: * fragment` for problems with
no position) must match one reported error; the file must report no other error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcfg.recipe import RecipeError, load_recipe

from .conftest import REPO, kcfg

CORPUS = sorted((REPO / "tests" / "invalid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<where>\d+:\d+|\*) (?P<fragment>.+)$", re.MULTILINE)


def expectations(path: Path) -> list[tuple[str, str]]:
    return [(m["where"], m["fragment"]) for m in EXPECT.finditer(path.read_text(encoding="utf-8"))]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_invalid_recipe_reports_expected_problems(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    errors = [p for p in caught.value.problems if p.severity == "error"]
    for where, fragment in expected:
        matching = [
            p for p in errors
            if fragment in p.message and (where == "*" or f"{p.location.line}:{p.location.col}" == where)
        ]
        assert matching, f"no error at {where} containing {fragment!r}; got:\n" + "\n".join(map(str, errors))
    assert len(errors) == len(expected), "unexpected extra errors:\n" + "\n".join(map(str, errors))


def test_python_tags_execute_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    recipe = tmp_path / "evil.yaml"
    recipe.write_text(f"model: !!python/object/apply:os.system ['touch {marker}']\n")
    result = kcfg("validate", str(recipe))
    assert result.returncode == 2
    assert "tag !!python/object/apply:os.system is not allowed" in result.stderr
    assert not marker.exists()


def test_cli_reports_corpus_with_exit_2_and_no_traceback() -> None:
    result = kcfg("validate", *map(str, CORPUS))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    for line in result.stderr.splitlines():
        assert re.match(r"^\S+?(:\d+:\d+)?: ", line), f"not a one-line located problem: {line!r}"
    assert result.stdout.count("error(s)") == len(CORPUS)


def test_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = kcfg("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}: no such file"


def test_directory_given_as_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="is a directory"):
        load_recipe(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("description: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RecipeError, match="not UTF-8"):
        load_recipe(path)
