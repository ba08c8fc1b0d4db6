"""The documentation is tested: recipe blocks validate, Keras code builds the same model as its
recipe, README commands run and print what the README shows, the reference is current."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kcfg.recipe import RecipeError, load_recipe
from tools.write_reference import render

from .conftest import REPO, Ran, kcfg

DOCS = [REPO / "README.md", REPO / "README.zh-CN.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"(?:<!-- (?P<marker>[^>]*) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)
#: Commands whose pasted output is compared line by line (no timing or training noise in it).
EXACT = ("validate", "summary", "show", "plot", "import", "schema")


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    body: str
    marker: str

    @property
    def id(self) -> str:
        return f"{self.doc.name}:{self.line}"


def blocks(lang: str) -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match["lang"] == lang:
                found.append(Block(doc, text.count("\n", 0, match.start("body")) + 1, lang, match["body"], match["marker"] or ""))
    return found


def test_reference_is_current() -> None:
    assert (REPO / "docs" / "reference.md").read_text(encoding="utf-8") == render(), "run `make docs`"


def recipe_dir(tmp_path: Path) -> Path:
    """A folder where doc recipes find the shipped data and plugins by the paths the docs use."""
    for name in ("data", "plugins"):
        (tmp_path / name).symlink_to(REPO / "recipes" / name)
    (tmp_path / "recipes").symlink_to(REPO / "recipes")
    return tmp_path


MINIMAL_MODEL = "model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, units: 1}\n"


@pytest.mark.parametrize("block", [b for b in blocks("yaml") if not b.marker.startswith("file:")], ids=lambda b: b.id)
def test_yaml_block_validates(block: Block, tmp_path: Path) -> None:
    folder = recipe_dir(tmp_path)
    body = block.body
    if not re.search(r"^(model|extends):", body, re.M):  # a fragment: check it inside a minimal recipe
        body = MINIMAL_MODEL + body
    path = folder / "block.yaml"
    path.write_text(body, encoding="utf-8")
    try:
        load_recipe(path)
    except RecipeError as exc:
        assert block.marker.startswith("invalid:"), f"{block.id}: " + "; ".join(map(str, exc.problems))
        assert block.marker.removeprefix("invalid:").strip() in str(exc)
        return
    assert not block.marker.startswith("invalid:"), f"{block.id}: marked invalid but validates"


@dataclass
class Command:
    line: str
    expected: list[str]
    exit_code: int


def commands(block: Block) -> list[Command]:
    found: list[Command] = []
    for raw in block.body.splitlines():
        if raw.startswith("$ echo $?"):
            found[-1].exit_code = -1  # the next line says the code
        elif raw.startswith("$ "):
            found.append(Command(raw[2:], [], 0))
        elif found and found[-1].exit_code == -1:
            found[-1].exit_code = int(raw)
        elif found:
            found[-1].expected.append(raw)
    return found


def readme_files(doc: Path) -> dict[str, str]:
    return {b.marker.removeprefix("file:").strip(): b.body for b in blocks("yaml") if b.doc == doc and b.marker.startswith("file:")}


READMES = [d for d in DOCS if d.name.startswith("README")]


@dataclass
class ReadmeCommands:
    """Runs README commands in one folder (in-process, as `kcfg()` does), each command once for all READMEs.

    The translations repeat the English README's commands (training digits among them). A
    result is reused only for the same command line naming the same README files with the
    same text; the folder holds just the current README's files while its commands run.
    """

    folder: Path
    results: dict[tuple[object, ...], Ran] = field(default_factory=dict)

    def run(self, doc: Path, line: str) -> Ran:
        files = readme_files(doc)
        self.lay_out(files)
        args = shlex.split(line)
        named = {name for d in READMES for name in readme_files(d)}
        key = (line, *((arg, files.get(arg)) for arg in args if arg in named))
        if key not in self.results:
            self.results[key] = kcfg(*args[1:], cwd=self.folder, env={"COLUMNS": "100"})
        return self.results[key]

    def lay_out(self, files: dict[str, str]) -> None:
        for doc in READMES:
            for name in readme_files(doc):
                (self.folder / name).unlink(missing_ok=True)
        for name, body in files.items():
            (self.folder / name).write_text(body, encoding="utf-8")


@pytest.fixture(scope="module")
def readme_commands(tmp_path_factory: pytest.TempPathFactory) -> ReadmeCommands:
    return ReadmeCommands(recipe_dir(tmp_path_factory.mktemp("readme")))


@pytest.mark.slow
@pytest.mark.tf
@pytest.mark.parametrize("doc", READMES, ids=lambda d: d.name)
def test_readme_commands_run_and_print_what_is_shown(doc: Path, readme_commands: ReadmeCommands) -> None:
    ran = 0
    for block in blocks("text"):
        if block.doc != doc:
            continue
        for command in commands(block):
            assert command.line.startswith("kcfg ") and not set(command.line) & set("|&;<>$`*?"), command.line  # no shell needed
            result = readme_commands.run(doc, command.line)
            assert result.returncode == command.exit_code, f"{command.line}: {result.stderr}"
            actual = (result.stdout + result.stderr).splitlines()
            exact = command.line.split()[1] in EXACT
            for line in command.expected:
                if line == "..." or (not exact and re.search(r"\d", line)):
                    continue  # shortened, or numbers that depend on the machine
                assert line in actual, f"{command.line}: {line!r} not in output:\n" + "\n".join(actual)
            ran += 1
    assert ran > 0


def cookbook_pairs() -> list[tuple[Block, Block]]:
    """Each Python block of the cookbook with the first valid recipe block after it."""
    doc = REPO / "docs" / "cookbook.md"
    ordered = sorted((b for b in blocks("python") + blocks("yaml") if b.doc == doc), key=lambda b: b.line)
    pairs = []
    for i, block in enumerate(ordered):
        if block.lang == "python":
            recipe = next(b for b in ordered[i + 1:] if b.lang == "yaml" and not b.marker.startswith("invalid:"))
            pairs.append((block, recipe))
    return pairs


@pytest.mark.slow
@pytest.mark.tf
@pytest.mark.parametrize(("code", "recipe"), cookbook_pairs(), ids=lambda b: b.id)
def test_cookbook_keras_code_builds_the_same_model_as_its_recipe(code: Block, recipe: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keras = pytest.importorskip("keras")
    from kcfg.run import build_adapted

    folder = recipe_dir(tmp_path)
    monkeypatch.chdir(folder)
    namespace: dict[str, object] = {}
    exec(compile(code.body, code.id, "exec"), namespace)
    written = namespace["model"]
    (folder / "r.yaml").write_text(recipe.body, encoding="utf-8")
    keras.mixed_precision.set_global_policy("float32")
    built = build_adapted(load_recipe(folder / "r.yaml")).model  # as kcfg summary builds it: adapt: layers adapted
    assert built.count_params() == written.count_params()  # type: ignore[attr-defined]


@pytest.mark.parametrize("doc", READMES, ids=lambda d: d.name)
def test_every_shell_block_is_run_or_says_what_it_needs(doc: Path) -> None:
    for block in blocks("sh"):
        if block.doc == doc:
            assert block.marker.startswith(("needs:", "tested:")), f"{block.id}: shell commands must be run by a test or marked <!-- needs: ... -->"
