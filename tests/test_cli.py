"""The `kcfg` command as a user runs it: real files, through `main` in this process; real
subprocesses where the process is the point (what a command imports, the console script's exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from kcfg.recipe.yaml_io import parse_yaml

from .conftest import RECIPES, REPO, kcfg, run_kcfg

HEAVY = ("tensorflow", "keras", "jax")


def modules_after(*args: str) -> set[str]:
    """Run the CLI in-process in a fresh interpreter and list the modules it imported."""
    code = (
        "import sys\nfrom kcfg.cli.app import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    return set(result.stderr.split())


@pytest.mark.parametrize("args", [("validate", *map(str, RECIPES)), ("--help",), ("validate", "--help"), ("train", "--help"), ("export", "--help"), ("show", str(RECIPES[0])), ("schema",), ("--show-completion", "bash")])
def test_static_commands_never_import_tensorflow(args: tuple[str, ...]) -> None:
    loaded = modules_after(*args)
    assert "kcfg.cli.app" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def complete(words: str, cwd: Path = REPO) -> list[str]:
    """What bash completion offers for the last word, as typer's completion script asks the command."""
    env = {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1), "_KCFG_COMPLETE": "complete_bash"}
    return kcfg(cwd=cwd, env=env).stdout.split()


def test_shell_completion_offers_folders_and_recipes(tmp_path: Path) -> None:
    assert "--install-completion" in kcfg("--help").stdout
    assert complete("kcfg validate rec") == ["recipes/"]
    assert complete("kcfg train recipes/s") == sorted(f"recipes/{p.name}" for p in RECIPES if p.name.startswith("s"))
    (tmp_path / "runs").mkdir()
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "a.yml").write_text("")
    assert complete("kcfg export ", cwd=tmp_path) == ["a.yml", "runs/"]
    assert complete("kcfg smoke --") and "--junit" in complete("kcfg smoke --")


def test_validate_shipped_recipes() -> None:
    result = kcfg("validate", "recipes/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"recipes/{p.name}: ok" for p in RECIPES]


def test_validate_json_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, unit: 1}\n")
    result = kcfg("validate", "--format", "json", str(RECIPES[0]), str(bad))
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert [r["valid"] for r in report["recipes"]] == [True, False]
    problem = report["recipes"][1]["problems"][0]
    assert problem == {
        "file": str(bad), "line": 4, "col": 24, "key": "model.layers.out",
        "message": "Dense has no argument 'unit' (did you mean 'units'?)", "severity": "error",
    }


def test_show_prints_resolved_recipe_that_validates_again(tmp_path: Path) -> None:
    result = kcfg("show", "recipes/small_resnet.yaml", "--set", "fit.epochs=3", "--unset", "callbacks")
    assert result.returncode == 0, result.stderr
    data, _ = parse_yaml(result.stdout, "shown")
    assert data["fit"]["epochs"] == 3
    assert "callbacks" not in data
    assert data["compile"]["optimizer"]["learning_rate"] == 1e-3
    shown = tmp_path / "shown.yaml"
    shown.write_text(result.stdout)
    assert kcfg("validate", str(shown)).returncode == 0


def test_show_keeps_run_placeholders() -> None:
    result = kcfg("show", "recipes/small_resnet.yaml")
    assert "${run_dir}/checkpoints/{epoch:02d}-{val_loss:.2f}.keras" in result.stdout


def test_usage_errors_exit_2() -> None:
    assert kcfg("validate").returncode == 2
    assert kcfg("frobnicate").returncode == 2
    result = kcfg("show", "recipes/small_resnet.yaml", "--set", "fit.epochs")
    assert result.returncode == 2
    assert result.stderr.strip() == "--set fit.epochs: expected path=value, e.g. fit.epochs=3"


def test_safe_env_variable(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("plugins: [json]\nmodel:\n  inputs: {x: [4]}\n  layers: {out: {type: Dense, units: 1}}\n")
    assert kcfg("validate", str(recipe)).returncode == 0
    result = kcfg("validate", str(recipe), env={"KCFG_SAFE": "1"})
    assert result.returncode == 2
    assert "refused in --safe mode" in result.stderr


def test_help_ends_with_examples() -> None:
    for command in ("validate", "show", "schema", "summary", "plot", "train", "evaluate", "predict", "smoke", "import"):
        result = kcfg(command, "--help")
        assert result.returncode == 0
        assert "Examples:" in result.stdout
        assert "kcfg " + command in result.stdout


def test_version() -> None:
    result = kcfg("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("kcfg ")


def test_console_script_splits_problems_and_summary_and_exits_2(tmp_path: Path) -> None:
    """The installed `kcfg` script (pyproject's entry point), not `python -m kcfg`."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, unit: 1}\n")
    script = Path(sys.executable).parent / "kcfg"
    result = subprocess.run([str(script), "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"{bad}:4:24: model.layers.out: Dense has no argument 'unit' (did you mean 'units'?)\n"
    assert result.stdout == f"{bad}: 1 error(s)\n"


def test_in_process_calls_see_what_a_process_sees(tmp_path: Path) -> None:
    """The in-process helper that most tests use gives the subprocess's exit code, stdout and stderr."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, units: 1, activation: sofmax}\n")
    args = ("validate", str(RECIPES[0]), str(bad))
    in_process, process = kcfg(*args), run_kcfg(*args)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (process.returncode, process.stdout, process.stderr)
    assert in_process.returncode == 2 and in_process.stdout and in_process.stderr


def test_in_process_calls_print_python_warnings_as_a_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest records warnings; `kcfg()` prints them to the call's stderr under a fresh process's filters."""

    def command(**_: object) -> None:
        warnings.warn("a UserWarning a user would see", UserWarning, stacklevel=1)
        warnings.warn("a DeprecationWarning a process hides", DeprecationWarning, stacklevel=1)

    monkeypatch.setattr("kcfg.cli.app.app", command)
    for _ in range(2):  # every call starts with a process's fresh "warn once" state
        result = kcfg("validate")
        assert result.returncode == 0 and result.stdout == ""
        assert "UserWarning: a UserWarning a user would see" in result.stderr and "DeprecationWarning" not in result.stderr
