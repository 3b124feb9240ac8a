"""The progress bar of a long import (``hilt init``, ``hilt import``): rows done, rows a second.

Shown on stderr once an import passes :data:`SHOW_AFTER` rows, and only when stderr is a
terminal (a log file or a pipe gets the summary line alone). A file's row count is not known
before it is read, so the bar counts rows and shows the rate.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["SHOW_AFTER", "ImportProgress"]

#: Imports of at most this many rows show no bar (they take a second or two).
SHOW_AFTER = 20_000


class ImportProgress:
    """A ``progress`` callable for :meth:`hilt.project.Project.create` / ``import_items``.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> with ImportProgress(Console(file=io.StringIO(), force_terminal=True), "reviews.csv") as progress:
    ...     progress(10_000); progress(30_000)
    >>> progress.rows, progress.shown
    (30000, True)
    """

    def __init__(self, console: Console, what: str) -> None:
        self.console = console
        self.what = what
        self.rows = 0
        self.shown = False
        self._bar: Progress | None = None
        self._task: Any = None

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if self._bar is None:
            if rows <= SHOW_AFTER or not self.console.is_terminal:
                return
            self._bar = Progress(SpinnerColumn(), TextColumn("[bold]Importing[/] {task.description}:"),
                                 TextColumn("{task.completed:,.0f} rows ({task.fields[rate]:,.0f} rows/s)"),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=None, rate=0.0)
            self._started = time.monotonic()
            self._from = rows
            self.shown = True
        elapsed = time.monotonic() - self._started
        rate = (rows - self._from) / elapsed if elapsed > 0 else 0.0
        self._bar.update(self._task, completed=rows, rate=rate)

    def __enter__(self) -> "ImportProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()
