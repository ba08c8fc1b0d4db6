"""How many `keras.applications` architectures survive `kcfg import` -> build.

For every application function (built with `weights=None`), in one process: serialize
the model as a `.keras` file would, import it into a recipe, validate and build the
recipe, and compare parameter counts, layer counts and connections (who feeds whom, nested
models included: `tests/keras_structure.py`) with the original. Prints one line per
architecture and the totals.

Usage: python bench/import_applications.py [NAME ...]
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kcfg.cli.keras_import import import_keras_quietly

keras = import_keras_quietly()  # before the modules below import Keras themselves

from kcfg.builder import build_model  # noqa: E402
from kcfg.builder.objects import ObjectFactory  # noqa: E402
from kcfg.builder.plugins import load_plugins  # noqa: E402
from kcfg.importer.model_config import ImportProblem, import_recipe  # noqa: E402
from kcfg.recipe import Location, RecipeError, dump_yaml, load_recipe  # noqa: E402
from tests.keras_structure import structure  # noqa: E402


def architectures(keras: Any) -> list[str]:
    return sorted(name for name, obj in vars(keras.applications).items() if inspect.isfunction(obj) and name[0].isupper())


def round_trip(keras: Any, name: str, folder: Path) -> str:
    """Import without plugins; when the model uses classes private to its application module
    (ConvNeXt's LayerScale), import again with that module as the plugin, as a user would."""
    function = getattr(keras.applications, name)
    original = function(weights=None)
    serialized = keras.saving.serialize_keras_object(original)
    note = ""
    try:
        data = import_recipe(serialized, ObjectFactory({}))
    except ImportProblem:
        plugin = function.__module__
        data = {"plugins": [plugin], **import_recipe(serialized, ObjectFactory(load_plugins([plugin], folder, lambda path: Location("--plugin"))))}
        note = f"  (with --plugin {plugin})"
    recipe = folder / f"{name}.yaml"
    recipe.write_text(dump_yaml(data))
    rebuilt = build_model(load_recipe(recipe)).model
    connected = structure(original) == structure(rebuilt)
    same = original.count_params() == rebuilt.count_params() and len(original.layers) == len(rebuilt.layers) and connected
    counts = f"params {original.count_params():,} / {rebuilt.count_params():,}  layers {len(original.layers)} / {len(rebuilt.layers)}"
    return f"{'same' if same else 'DIFFERENT'}  {counts}  connections {'same' if connected else 'DIFFERENT'}{note}"


def main() -> None:
    names = sys.argv[1:] or architectures(keras)
    passed = 0
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            start = time.perf_counter()
            try:
                outcome = round_trip(keras, name, Path(folder))
            except RecipeError as exc:
                outcome = f"FAILED  {exc.problems[0]}"
            except Exception as exc:  # report every architecture, whatever breaks
                outcome = f"FAILED  {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            passed += outcome.startswith("same")
            print(f"{name:24s} {outcome}  ({time.perf_counter() - start:.1f} s)", flush=True)
            keras.utils.clear_session()
    print(f"round-trip exactly (parameters, layers, connections): {passed} of {len(names)} keras.applications architectures (keras {keras.__version__})")


if __name__ == "__main__":
    main()
