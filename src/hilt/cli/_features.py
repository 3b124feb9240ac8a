"""Building a project's features from the command line, with a progress bar for long builds."""

from __future__ import annotations

import time
from typing import Any

from hilt.cli.app import console

__all__ = ["describe_source", "warm_features"]

#: A build expected to take longer than this shows a progress bar (short ones stay silent).
SHOW_AFTER_ITEMS = 20_000


def warm_features(project: Any, *, announce: bool = True) -> str | None:
    """Build (or load) ``project``'s item features now, showing progress for a large pool.

    Embedding a large pool takes a while (about a second per 10,000 texts); doing it before the
    first item is served means the first retrain does not, and the person sees how far it is.
    Items that change during the build (an import elsewhere) leave it to the first retrain.

    A project on a Dask cluster (``project.scheduler``) has its workers build the features (or
    finds those an earlier process left there); with ``announce`` a line says so and how long
    it took. Returns where the features came from (:meth:`hilt.project.Project.warm`), or
    ``None`` when the items changed during the build.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if project.scheduler is not None:  # the workers build them: no progress to show here
        started = time.perf_counter()
        source = _warm(project, None)
        if announce and source is not None:
            console.print(f"Features ({project.featurizer.name}) {describe_source(source, project.scheduler)} "
                          f"in {time.perf_counter() - started:.1f} s.")
        return source
    n_items = project.status().n_items
    if n_items < SHOW_AFTER_ITEMS or not console.is_terminal:
        return _warm(project, None)
    started = time.perf_counter()
    columns = (TextColumn(f"Building features ({project.featurizer.name})"), BarColumn(),
               MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("features", total=n_items)
        source = _warm(project, lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"Features ({project.featurizer.name}) of {n_items:,} items ready in "
                  f"{time.perf_counter() - started:.1f} s.")
    return source


def describe_source(source: str | None, scheduler: str | None) -> str:
    """Where :meth:`hilt.project.Project.warm` found the features, in words.

    Examples
    --------
    >>> from hilt.cli._features import describe_source
    >>> describe_source("built", "tcp://10.0.0.5:8786")
    'built on the Dask cluster at tcp://10.0.0.5:8786'
    >>> describe_source("disk", None)
    'loaded from the cache beside the project'
    """
    where = f"the Dask cluster at {scheduler}" if scheduler else "this process"
    if source == "built":
        return f"built on {where}" if scheduler else "built in this process"
    if source == "cluster":
        return f"found on {where} (kept there by an earlier run)"
    if source == "disk":
        return "loaded from the cache beside the project"
    if source == "extended":
        return f"the cached ones, with the items imported since added on {where}" if scheduler else \
            "the cached ones, with the items imported since added"
    if source == "memory":
        return f"already in memory ({where})" if scheduler else "already in memory"
    return f"being rebuilt (the items changed); the next retrain builds them on {where}"


def _warm(project: Any, progress: Any) -> str | None:
    try:
        return project.warm(progress=progress)
    except InterruptedError:  # items changed while building: the first retrain builds them
        return None
