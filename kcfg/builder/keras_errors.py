"""The one boundary where errors from Keras (and from kcfg's later stages) become recipe problems.

Everything Keras builds or runs from a recipe (layers, compile objects, callbacks, the
training, evaluation and prediction steps) happens inside `boundary.at(...)`. An error
there becomes one `RecipeError` line at the recipe entry it belongs to:

- a `PathProblem` (data that does not fit, a runtime the machine lacks) knows its path;
- a Keras error while building lands on the entry, or on the argument its message names;
- a Keras error inside a step lands where Keras's own traceback says it was working:
  in `keras/src/losses` on `compile.loss`, in `keras/src/metrics` on `compile.metrics`,
  in the data adapters or an input check on the data split being fed.
Anything else is a kcfg or plugin bug and keeps its traceback (`--debug`).
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

from kcfg.recipe.errors import KeyPath, Location, PathProblem, Problem, RecipeError, dotted

#: What Keras raises for bad shapes and argument values while objects are made and called.
KERAS_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, NotImplementedError)
_NOISE = re.compile(r"^(Exception encountered when calling .*|Arguments received by .*|•.*)$")
#: TensorFlow's wrappers around an op's message: `{{function_node ...}}`, `[Op:Name] name:`, `[[node ...]]`,
#: and a failed graph's preamble down to the dataset transformation that raised.
_OP_WRAPPING = re.compile(
    r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]( name:.*)?$|\s*\[\[[^\]]*\]\]"
    r"|Graph execution error:\s*Detected at node \S+ defined at \(most recent call last\):\s*(<stack traces unavailable>)?\s*"
    r"|Error in user-defined function passed to \S+ transformation with iterator: \S+: "
)
#: The op that feeds a step its data: an error there (a corrupt image) is the data's.
_DATA_OP = "IteratorGetNext"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_MESSAGE = 400
#: Keras source folders -> the part of the recipe a step error there belongs to ("data" means the split fed).
_STEP_ORIGINS = [
    ("keras/src/metrics/", ("compile", "metrics")),
    ("keras/src/losses/", ("compile", "loss")),
    ("keras/src/optimizers/", ("compile", "optimizer")),
    ("keras/src/callbacks/", ("callbacks",)),
    ("keras/src/trainers/data_adapters/", ("data",)),
    ("keras/src/trainers/epoch_iterator.py", ("data",)),
    ("keras/src/layers/input_spec.py", ("data",)),
    ("tensorflow/python/data/", ("data",)),
]


def runtime_errors() -> tuple[type[BaseException], ...]:
    """What running out of memory, or a TensorFlow op failing on the data (a corrupt image), raises."""
    tensorflow = sys.modules.get("tensorflow")
    return (MemoryError, tensorflow.errors.OpError) if tensorflow is not None else (MemoryError,)


def one_line(exc: BaseException) -> str:
    """Keras's message on one line, without its call-argument dump."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    text = _OP_WRAPPING.sub("", " ".join(kept)) or type(exc).__name__
    if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError":
        text = f"not enough memory: {text}"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def step_origin(exc: BaseException, data: KeyPath, fallback: KeyPath) -> KeyPath:
    """The recipe part a training/evaluation/prediction error belongs to, from the innermost Keras frame that says."""
    if _DATA_OP in str(exc):
        return data
    frames = [frame.filename.replace("\\", "/") for frame in traceback.extract_tb(exc.__traceback__)]
    for filename in reversed(frames):
        for folder, path in _STEP_ORIGINS:
            if folder in filename:
                return data if path == ("data",) else path
    return fallback


class KerasBoundary:
    """Maps errors to the recipe file of one loaded recipe (`LoadedRecipe.where`)."""

    def __init__(self, where: Callable[[KeyPath], Location]) -> None:
        self.where = where

    def problem(self, path: KeyPath, message: str, at: KeyPath | None = None) -> RecipeError:
        return RecipeError([Problem(self.where(path if at is None else at), dotted(path), message)])

    @contextmanager
    def mapped(self, keras_error: Callable[[BaseException], RecipeError]) -> Iterator[None]:
        """Recipe errors pass, path problems are placed, Keras's errors become `keras_error(exc)`."""
        try:
            yield
        except RecipeError:
            raise
        except PathProblem as exc:
            raise exc.located(self.where) from exc
        except (*KERAS_ERRORS, *runtime_errors()) as exc:
            raise keras_error(exc) from exc

    def at(self, path: KeyPath, arguments: Iterable[str] = (), note: str = "") -> AbstractContextManager[None]:
        """Building the object of recipe entry `path`; a message naming one of its `arguments` lands on that line.

        `note` is added to Keras's message: what the recipe did that Keras cannot know.
        """

        def located(exc: BaseException) -> RecipeError:
            message = one_line(exc)
            named = [arg for arg in arguments if re.search(rf"\b{re.escape(arg)}\b", message)]
            return self.problem(path, message + note, path + (named[0],) if named else None)

        return self.mapped(located)

    @contextmanager
    def step(self, what: str, data: KeyPath, fallback: KeyPath) -> Iterator[None]:
        """Running Keras on the split at `data` (`what`: "the first training step", ...)."""
        import keras

        filtering = keras.config.is_traceback_filtering_enabled()
        keras.config.disable_traceback_filtering()  # step_origin reads Keras's own frames
        try:
            with self.mapped(lambda exc: self.problem(step_origin(exc, data, fallback), f"Keras rejected {what}: {one_line(exc)}")):
                yield
        finally:
            if filtering:
                keras.config.enable_traceback_filtering()
