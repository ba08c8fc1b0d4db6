"""pytest plugin: `pytest --kcfg-smoke recipes/` collects recipe files and smoke-tests each.

Registered through the `pytest11` entry point, so it loads in every pytest run; it stays
inert (and imports nothing heavy) unless `--kcfg-smoke` is given.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

SUFFIXES = (".yaml", ".yml")
#: A recipe has a top-level `model:` or `extends:` key, or the schema modeline; other YAML (mkdocs.yml, CI files) is not collected.
RECIPE_MARK = re.compile(r"^(model|extends)\s*:|^#\s*yaml-language-server:\s*\$schema=\S*recipe\.schema\.json", re.M)
#: Keras on NumPy 2 warns on every array conversion (keras/src/backend/tensorflow/core.py); not the user's to fix.
KERAS_NOISE = "__array__ implementation doesn't accept a copy keyword"


def is_recipe(path: Path) -> bool:
    try:
        return bool(RECIPE_MARK.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kcfg")
    group.addoption("--kcfg-smoke", action="store_true", help="collect recipes (*.yaml/*.yml with a model: or extends: key) and smoke-test each (build, train 2 steps, save, reload)")
    group.addoption("--kcfg-real-data", action="store_true", help="with --kcfg-smoke: train on each recipe's data.train instead of synthetic data")
    group.addoption("--kcfg-safe", action="store_true", default=os.environ.get("KCFG_SAFE") == "1", help="with --kcfg-smoke: refuse recipes that import code, read or write outside their folders (also KCFG_SAFE=1)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if parent.config.getoption("kcfg_smoke") and file_path.suffix in SUFFIXES and is_recipe(file_path):
        return RecipeFile.from_parent(parent, path=file_path)
    return None


class RecipeFile(pytest.File):
    def collect(self) -> Any:
        yield RecipeItem.from_parent(self, name="smoke")


class RecipeSmokeFailed(Exception):
    """The recipe's own error lines, shown instead of a traceback."""


class RecipeItem(pytest.Item):
    def runtest(self) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        from kcfg.cli.keras_import import import_keras_quietly

        import_keras_quietly()
        from kcfg.run import smoke

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=re.escape(KERAS_NOISE), category=DeprecationWarning)
            result = smoke(self.path, real_data=self.config.getoption("kcfg_real_data"), safe=self.config.getoption("kcfg_safe"))
        if not result.passed:
            raise RecipeSmokeFailed("\n".join(result.problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RecipeSmokeFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"kcfg smoke {self.path.name}"
