"""`kcfg smoke`: what CI pipelines run over a folder of recipes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kcfg.cli.common import EXIT_RUN_FAILED, SafeOption, complete_recipe_paths, recipe_files, say
from kcfg.files import write_atomically

if TYPE_CHECKING:
    from kcfg.run import SmokeResult


class Format(str, Enum):
    text = "text"
    json = "json"


class Backend(str, Enum):
    tensorflow = "tensorflow"
    jax = "jax"


def junit_xml(results: list[SmokeResult], started: datetime) -> bytes:
    """JUnit XML, one testcase per recipe, as CI systems read it.

    Valid under both Surefire's report schema and the one Jenkins checks with
    (tests/data/junit/): Surefire requires `skipped` and a failure `type`, and allows no
    `timestamp` attribute, so the start time is a property.
    """
    failures = [r for r in results if not r.passed]
    suite = ET.Element(
        "testsuite", name="kcfg smoke", tests=str(len(results)), failures=str(len(failures)), errors="0", skipped="0", time=f"{sum(r.seconds for r in results):.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="timestamp", value=started.isoformat(timespec="seconds"))
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="kcfg.smoke", name=str(result.file), time=f"{result.seconds:.3f}")
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.problems[0], type="kcfg.smoke")
            failure.text = "\n".join(result.problems)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def smoke(
    recipes: Annotated[list[Path], typer.Argument(metavar="RECIPE_OR_DIR...", help="Recipe files or folders of recipes.", show_default=False, autocompletion=complete_recipe_paths)],
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write JUnit XML for CI systems.", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", help="text, or json.")] = Format.text,
    real_data: Annotated[bool, typer.Option("--real-data", help="Train the steps on the recipe's own data.train instead of synthetic data.")] = False,
    backend: Annotated[Backend | None, typer.Option("--backend", help="Run every recipe on this Keras backend (default: each on its runtime.backend; other backends in a second process).", show_default=False)] = None,
    safe: SafeOption = False,
) -> None:
    """Smoke-test recipes in one process: validate, build, compile, train 2 steps, save, reload, compare predictions.

    The steps use synthetic data shaped by each model, so recipes whose data is not on
    the CI machine still pass or fail on their own merits. One line per recipe; exit
    code 1 if any fails.

    Examples:

        kcfg smoke recipes/

        kcfg smoke recipes/ --junit smoke.xml
    """
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.run import by_backend, choose_backend

    given = recipe_files(recipes)
    groups = by_backend(given, backend.value if backend else None)
    here = next(iter(groups), "tensorflow")
    choose_backend(here)
    import_keras_quietly()
    from kcfg.run import smoke as smoke_one
    from kcfg.run import smoke_elsewhere

    started = datetime.now(timezone.utc)
    results = []
    for name, files in groups.items():
        for result in (smoke_one(file, real_data=real_data, safe=safe) for file in files) if name == here else smoke_elsewhere(files, name, real_data=real_data, safe=safe):
            results.append(result)
            if format is Format.text:
                say(f"{'ok  ' if result.passed else 'FAIL'}  {result.file}  ({result.seconds:.1f} s{'' if name == 'tensorflow' else ', ' + name})", flush=True)
                for line in result.problems:
                    say(line, err=True)
    listed = {str(file): i for i, file in enumerate(given)}
    results.sort(key=lambda result: listed.get(str(result.file), len(listed)))  # reports in the order the recipes were given
    if format is Format.json:
        print(json.dumps({"passed": all(r.passed for r in results), "recipes": [r.as_dict() for r in results]}, indent=2))
    if junit is not None:
        write_atomically(junit, junit_xml(results, started))
    if not all(r.passed for r in results):
        raise typer.Exit(EXIT_RUN_FAILED)
