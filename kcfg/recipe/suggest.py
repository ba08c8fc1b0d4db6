"""'did you mean' hints for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """` (did you mean 'filters'?)` when a choice is close to `word`, else ``."""
    names = [str(choice) for choice in choices]
    lowered = {name.lower(): name for name in names}
    exact_case = lowered.get(str(word).lower())
    if exact_case is not None and exact_case != str(word):
        return f" (did you mean {exact_case!r}?)"
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
