"""Building a project's features from the command line, with a progress bar for long builds."""

from __future__ import annotations

import time
from typing import Any

from hilt.cli.app import console

__all__ = ["warm_features"]

#: A build expected to take longer than this shows a progress bar (short ones stay silent).
SHOW_AFTER_ITEMS = 20_000


def warm_features(project: Any) -> None:
    """Build (or load) ``project``'s item features now, showing progress for a large pool.

    Embedding a large pool takes a while (about a second per 10,000 texts); doing it before the
    first item is served means the first retrain does not, and the person sees how far it is.
    Items that change during the build (an import elsewhere) leave it to the first retrain.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    n_items = project.status()["n_items"]
    if n_items < SHOW_AFTER_ITEMS or not console.is_terminal:
        _warm(project, None)
        return
    started = time.perf_counter()
    columns = (TextColumn(f"Building features ({project.featurizer.name})"), BarColumn(),
               MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("features", total=n_items)
        _warm(project, lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"Features ({project.featurizer.name}) of {n_items:,} items ready in "
                  f"{time.perf_counter() - started:.1f} s.")


def _warm(project: Any, progress: Any) -> None:
    try:
        project.warm(progress=progress)
    except InterruptedError:  # items changed while building: the first retrain builds them
        pass
