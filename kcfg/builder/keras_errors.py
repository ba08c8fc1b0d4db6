"""Keras exceptions raised while building, turned into one recipe problem on the layer's line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from kcfg.recipe.errors import Location, Path, Problem, RecipeError, dotted

#: What Keras raises for bad shapes and argument values while layers are made and called.
#: Anything else is a kcfg bug or a plugin bug and keeps its traceback (`--debug`).
BUILD_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, NotImplementedError)
_NOISE = re.compile(r"^(Exception encountered when calling .*|Arguments received by .*|•.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_MESSAGE = 400


def one_line(exc: BaseException) -> str:
    """Keras's message on one line, without its call-argument dump."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    text = " ".join(kept) or type(exc).__name__
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


@contextmanager
def reported_at(path: Path, where: Callable[[Path], Location], arguments: Iterable[str] = ()) -> Iterator[None]:
    """Re-raise a Keras build error as a RecipeError at the recipe entry `path`.

    When the message names one of the entry's `arguments` (`Received: rate=1.5`), the
    problem points at that argument's line.
    """
    try:
        yield
    except RecipeError:
        raise
    except BUILD_ERRORS as exc:
        message = one_line(exc)
        named = [arg for arg in arguments if re.search(rf"\b{re.escape(arg)}\b", message)]
        raise RecipeError([Problem(where(path + (named[0],) if named else path), dotted(path), message)]) from exc
