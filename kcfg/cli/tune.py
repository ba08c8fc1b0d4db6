"""`kcfg tune`: a hyperparameter search with KerasTuner over the recipe's `tune.space`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kcfg.cli.common import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_RUN_FAILED, SafeOption, SetOption, UnsetOption, print_problems, say
from kcfg.cli.train import fail


def tune(
    recipe: Annotated[Path, typer.Argument(help="Recipe file with a tune section.", show_default=False)],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Search directory; default: runtime.run_dir (runs/<name>/<timestamp>).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest search of this recipe (or --run-dir): finished trials are not run again.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing search directory.")] = False,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
) -> None:
    """Search tune.space with KerasTuner (random, bayesian or hyperband); train each trial as a run.

    The search directory holds trials/<id>/ (a run directory per trial), trials.csv (one row
    per trial: its values, the objective, its status), best.yaml (the resolved recipe of the
    best trial) and tuner/ (KerasTuner's state). On a terminal KerasTuner shows its progress;
    in logs there is one line per trial. Ctrl-C or a kill keeps every finished trial:
    continue with --resume.

    Distributed: run the same command on a chief and on workers, with KerasTuner's variables
    KERASTUNER_TUNER_ID (chief, tuner0, tuner1, ...), KERASTUNER_ORACLE_IP and
    KERASTUNER_ORACLE_PORT, and one --run-dir they all reach.

    Exit codes: 0 searched, 1 no trial completed, 2 invalid recipe or usage, 130 interrupted.

    Examples:

        kcfg tune recipes/digits_tune.yaml --run-dir runs/search

        kcfg tune recipes/digits_tune.yaml --run-dir runs/search --resume

        kcfg tune recipes/digits_tune.yaml --set tune.max_trials=4 --set fit.epochs=5
    """
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.recipe import RecipeError

    import_keras_quietly()
    from kcfg.run import RunDirError, SearchFailed, SearchInterrupted, TuneError, TuneRequest, run_search

    request = TuneRequest(recipe, set_, unset, safe, run_dir, resume, overwrite, sys.argv)
    try:
        outcome = run_search(request, notes=print_problems)
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except (TuneError, RunDirError) as exc:
        raise fail(f"kcfg tune: {exc}", EXIT_INVALID) from None
    except SearchFailed as exc:
        raise fail(f"kcfg tune: the search failed: {exc}", EXIT_RUN_FAILED) from None
    except SearchInterrupted as exc:
        raise fail(f"kcfg tune: interrupted; continue with: kcfg tune {recipe} --resume --run-dir {exc.directory}", EXIT_INTERRUPTED) from None
    if outcome.worker:
        say(f"worker done; trials in {outcome.directory / 'trials'}")
        return
    completed = sum(1 for row in outcome.rows if row.status == "completed")
    say(f"{completed} of {len(outcome.rows)} trials completed: {outcome.directory / 'trials.csv'}")
    if outcome.best is not None:
        values = ", ".join(f"{path}={value}" for path, value in outcome.best.values.items())
        say(f"best: trial {outcome.best.trial_id}, {outcome.metric}={outcome.best.score:.4f} ({values})")
        say(f"best recipe: {outcome.directory / 'best.yaml'}")
