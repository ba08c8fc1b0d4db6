"""`kcfg train`: fit a recipe into a run directory, or continue an interrupted run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_RUN_FAILED, SafeOption, SetOption, UnsetOption, load_or_exit, print_problems


def fail(message: str, code: int) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code)


def train(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False)],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run directory; default: runtime.run_dir (runs/<name>/<timestamp>).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest run of this recipe (or --run-dir) from its last completed epoch.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Build, compile and fit the recipe's model; write the run directory.

    The run directory holds recipe.yaml (resolved), manifest.json, history.csv,
    metrics.json, summary.txt and model.keras, each written atomically, plus what the
    callbacks write. Ctrl-C keeps the last completed epoch: continue with --resume.

    Exit codes: 0 trained, 1 the run failed (NaN loss), 2 invalid recipe or data, 130 interrupted.

    Examples:

        kcfg train recipes/digits_cnn.yaml

        kcfg train recipes/digits_cnn.yaml --set fit.epochs=3 --run-dir runs/quick

        kcfg train recipes/digits_cnn.yaml --resume
    """
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.run.files import remove_temporaries
    from kcfg.run.run_dir import RunDir, RunDirError, new_timestamp, newest_run, start

    timestamp = new_timestamp()
    run: RunDir | None = None
    if resume:
        try:
            run = RunDir(run_dir) if run_dir else newest_run(str(load_or_exit(recipe, set_, unset, safe, {"timestamp": "*"}, warn=False).run_dir("*")))
            manifest = run.manifest()
        except RunDirError as exc:
            raise fail(f"kcfg train --resume: {exc}", EXIT_INVALID) from None
        timestamp = manifest["timestamp"]
        if not set_ and not unset:  # continue with the overrides the run started with
            set_ = [o for o in manifest.get("overrides", []) if not o.startswith("~")]
            unset = [o[1:] for o in manifest.get("overrides", []) if o.startswith("~")]
    # load twice: the run directory may depend on the recipe, and the recipe on ${run_dir}
    loaded = load_or_exit(recipe, set_, unset, safe, {"timestamp": timestamp}, warn=False)
    path = run.path if run else run_dir or loaded.run_dir(timestamp)
    loaded = load_or_exit(recipe, set_, unset, safe, {"timestamp": timestamp, "run_dir": str(path)})

    def open_run() -> RunDir:
        if run is not None:
            remove_temporaries(run.path)
            run.update_manifest(status="running", command=sys.argv)
            return run
        return start(path, overwrite=overwrite, recipe_file=loaded.file, overrides=loaded.overrides, timestamp=timestamp, seed=loaded.recipe.seed, argv=sys.argv)

    import_keras_quietly()
    from kcfg.recipe import RecipeError
    from kcfg.run.train import TrainingFailed, train as train_run

    try:
        finished, metrics = train_run(loaded, open_run, resume=resume)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except RunDirError as exc:
        raise fail(f"kcfg train: {exc}", EXIT_INVALID) from None
    except TrainingFailed as exc:
        raise fail(f"kcfg train: the run failed: {exc}", EXIT_RUN_FAILED) from None
    except KeyboardInterrupt:
        if (path / "manifest.json").is_file():
            RunDir(path).update_manifest(status="interrupted")
        raise fail(f"kcfg train: interrupted; continue with: kcfg train {recipe} --resume --run-dir {path}", EXIT_INTERRUPTED) from None
    for section, values in metrics.items():
        if values:
            print(f"{section}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(values.items())))
    print(f"run: {finished.path}")
