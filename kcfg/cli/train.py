"""`kcfg train`: fit a recipe into a run directory, continue an interrupted run, or run one data_parallel worker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kcfg.cli.common import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_RUN_FAILED, SafeOption, SetOption, UnsetOption, complete_recipe_paths, print_problems, say

if TYPE_CHECKING:
    from kcfg.run import Training


def fail(message: str, code: int) -> typer.Exit:
    say(message, err=True)
    return typer.Exit(code)


def train(
    recipe: Annotated[Path, typer.Argument(help="Recipe file.", show_default=False, autocompletion=complete_recipe_paths)],
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Run directory; default: runtime.run_dir (runs/<name>/<timestamp>).", show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest run of this recipe (or --run-dir) from its last completed epoch.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
    set_: SetOption = [],  # noqa: B006 - typer reads defaults, never mutates them
    unset: UnsetOption = [],  # noqa: B006
    safe: SafeOption = False,
    coordinator: Annotated[str | None, typer.Option("--coordinator", metavar="HOST:PORT", help="data_parallel on several machines: process 0's address and a free port; every machine runs the same command.", show_default=False)] = None,
    num_processes: Annotated[int, typer.Option("--num-processes", metavar="N", help="With --coordinator: how many processes in all.")] = 1,
    process_id: Annotated[int, typer.Option("--process-id", metavar="I", help="With --coordinator: this process, 0 to N-1 (0 writes the run directory).")] = 0,
    ray: Annotated[str | None, typer.Option("--ray", metavar="ADDRESS", help="data_parallel workers started by Ray Train on the Ray cluster at ADDRESS (needs kcfg[ray]).", show_default=False)] = None,
    workers: Annotated[int, typer.Option("--workers", metavar="N", help="With --ray: how many workers.")] = 2,
) -> None:
    """Build, compile and fit the recipe's model; write the run directory.

    The run directory holds recipe.yaml (resolved), manifest.json, history.csv,
    metrics.json, summary.txt and model.keras, each written atomically, plus what the
    callbacks write. Ctrl-C keeps the last completed epoch: continue with --resume.

    runtime.distribute: {strategy: data_parallel, processes: N} (runtime.backend: jax)
    starts N worker processes here; on several machines each runs this command with
    --coordinator, --num-processes and --process-id (README: several machines).

    Exit codes: 0 trained, 1 the run failed (NaN loss, a worker stopped), 2 invalid recipe or data, 130 interrupted.

    Examples:

        kcfg train recipes/digits_cnn.yaml

        kcfg train recipes/digits_cnn.yaml --set fit.epochs=3 --run-dir runs/quick

        kcfg train recipes/digits_cnn.yaml --resume

        kcfg train recipes/digits_data_parallel.yaml --coordinator 10.0.0.1:8476 --num-processes 2 --process-id 0
    """
    from kcfg.recipe import RecipeError
    from kcfg.run import Cluster, RunDirError, Training, TrainingRequest

    cluster = Cluster(coordinator, num_processes, process_id) if coordinator else None
    if cluster is not None and (problem := cluster.problem()):
        raise fail(f"kcfg train: {problem}", EXIT_INVALID)
    request = TrainingRequest(recipe, set_, unset, safe, run_dir, resume, overwrite, sys.argv, cluster)
    try:
        training = Training.open(request)  # loads no Keras: it chooses the backend first
    except RecipeError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    except RunDirError as exc:
        raise fail(f"kcfg train --resume: {exc}", EXIT_INVALID) from None
    if cluster is None or cluster.is_chief:
        print_problems(training.warnings)
    if ray is not None or training.workers_to_start:
        raise typer.Exit(launch(training, ray, workers))
    code = train_here(training, recipe)
    if code and cluster is not None:
        from kcfg.run import abandon_cluster

        abandon_cluster(code)
    raise typer.Exit(code)


def launch(training: Training, ray: str | None, workers: int) -> int:
    """Start the workers (here, or on a Ray cluster) and wait for them; their exit code."""
    from kcfg.run import launch_local, launch_on_ray

    def report(message: str) -> None:
        say(message, err=True)

    if ray is not None:
        return launch_on_ray(training, ray, workers, report)
    return launch_local(training, report)


def train_here(training: Training, recipe: Path) -> int:
    """Train in this process (alone, or as one worker of a cluster); prints the outcome and returns the exit code."""
    from kcfg.cli.keras_import import import_keras_quietly
    from kcfg.recipe import RecipeError

    import_keras_quietly()
    from kcfg.run import PeerLost, RunDirError, TrainingFailed

    try:
        finished, metrics = training.run(notes=print_problems)
    except RecipeError as exc:
        print_problems(exc.problems)
        return EXIT_INVALID
    except RunDirError as exc:
        say(f"kcfg train: {exc}", err=True)
        return EXIT_INVALID
    except TrainingFailed as exc:
        say(f"kcfg train: the run failed: {exc}", err=True)
        return EXIT_RUN_FAILED
    except PeerLost as exc:
        say(f"kcfg train: {exc}; the run stopped at its last completed epoch: continue with kcfg train {recipe} --resume", err=True)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        say(f"kcfg train: interrupted; continue with: kcfg train {recipe} --resume --run-dir {training.path}", err=True)
        return EXIT_INTERRUPTED
    if training.is_temporary:
        say(f"{training.request.cluster}: done (process 0 wrote the run directory)")
        return 0
    for section, values in metrics.items():
        if values:
            print(f"{section}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(values.items())))
    say(f"run: {finished.path}")
    return 0
