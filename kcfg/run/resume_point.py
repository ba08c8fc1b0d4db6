"""The resume point: model and optimizer state after the last completed epoch, as one atomic unit.

Each epoch's state goes to a new file (`resume-<epochs>.weights.h5`); then history.csv; then
the manifest, which names that file and the number of epochs completed. The manifest write
is the commit: a run killed anywhere before it resumes from the previous file, which is
only deleted after the manifest names its successor. History rows past the manifest's
count are dropped on resume.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kcfg.files import replacing
from kcfg.run.run_dir import RunDir, RunDirError

#: The weights file of a resume point, by epochs completed.
WEIGHTS_PATTERN = "resume-{epochs}.weights.h5"
#: Free space kept beyond the estimated size of one resume point.
SPARE_BYTES = 16 << 20


def state_bytes(model: Any) -> int:
    """Roughly what one weights file of the model and its optimizer takes on disk."""
    variables = [*model.variables, *getattr(model.optimizer, "variables", [])]
    return sum(int(v.dtype.itemsize if hasattr(v.dtype, "itemsize") else 4) * int(_count(v.shape)) for v in variables)


def _count(shape: Any) -> int:
    count = 1
    for dim in shape:
        count *= int(dim or 1)
    return count


def save(run: RunDir, model: Any, epochs: int, history: list[dict[str, Any]]) -> None:
    """Write the resume point after `epochs` completed epochs; raises RunDirError when the disk cannot hold it."""
    weights = run.path / WEIGHTS_PATTERN.format(epochs=epochs)
    needed = state_bytes(model) + SPARE_BYTES
    free = shutil.disk_usage(run.path).free
    if free < needed:
        raise RunDirError(f"{run.path}: not enough disk space for the resume point after epoch {epochs} ({needed >> 20} MB needed, {free >> 20} MB free); free some space, then continue with --resume")
    try:
        with replacing(weights) as tmp:
            model.save_weights(tmp)
        run.write_history(history)
        run.update_manifest(epochs_completed=epochs, resume_weights=weights.name)
    except OSError as exc:
        raise RunDirError(f"{run.path}: cannot write the resume point after epoch {epochs}: {exc.strerror or exc}; continue with --resume once the folder is writable") from exc
    for stale in run.path.glob(WEIGHTS_PATTERN.format(epochs="*")):  # earlier points, and any a killed run left
        if stale.name != weights.name:
            stale.unlink(missing_ok=True)


def load(run: RunDir, model: Any) -> int:
    """Load the run's resume point into the compiled model; the number of epochs it completed (0: start over)."""
    manifest = run.manifest()
    completed = manifest.get("epochs_completed", 0)
    name = manifest.get("resume_weights")
    if not isinstance(completed, int) or completed < 0:
        raise RunDirError(f"{run.manifest_file}: epochs_completed is {completed!r}, not a count; the run cannot be resumed")
    if not completed:
        return 0
    if not isinstance(name, str) or Path(name).name != name or not (run.path / name).is_file():
        raise RunDirError(f"{run.path}: the resume point of epoch {completed} ({name}) is missing; start again with --overwrite")
    model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(run.path / name)
    except (OSError, ValueError, KeyError) as exc:
        raise RunDirError(f"{run.path / name}: cannot read the resume point ({' '.join(str(exc).split())[:200]}); start again with --overwrite") from exc
    return completed
