"""``hilt label``: label a project's items in the terminal, one key per answer."""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from typing import Optional

import typer
from rich.console import Console

from hilt.cli._label_loop import MAX_KEYED_LABELS, line_keys, run_label_loop, terminal_keys
from hilt.cli._project import PROJECT_HELP, SCHEDULER_HELP, display_location, open_project, project_location
from hilt.cli.app import app, user_errors
from hilt.tasks import get_task


def default_annotator() -> str:
    """$USER (or the login name), else ``"me"``."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        with contextlib.suppress(Exception):
            name = getpass.getuser()
    return name or "me"


@app.command()
@user_errors
def label(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    annotator: Optional[str] = typer.Option(None, "--annotator", "-a", help="Your name (default: $USER, else 'me')."),
    wait: float = typer.Option(
        30.0, min=0.0, help="On quit, wait up to this many seconds for a retrain still running."
    ),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP,
                                            show_default=False),
) -> None:
    """Label items in the terminal: the model asks about what it is least sure of.

    Keys: each label's key is shown beside it (a label that is a single digit, 0-9, is its own key; the others take 1-9, 0, then a, b, c, ...), s skips, u undoes your last answer, v shows a shortened long text whole, ? shows the project's guidelines and each label's description (the time it is up is not counted as time on the item), q quits. Each answer keeps the seconds from showing the item to the answer. In a multi-label project a label's key ticks or unticks it, Enter saves the ticked labels and - saves "none of these". Every answer is saved at once; run the command again later to continue where you stopped. Keys can also be piped in, one per line (an empty line is Enter; a line such as "1,3" saves that set). In a spans project the tokens are numbered and each line is a command: "3-4 1" marks tokens 3 to 4 with the label of key 1 (or its name), "5 2" marks token 5, "-3" removes the span on token 3, "x" removes them all, "." or an empty line saves the marks, "0" or "-" saves "nothing to mark", "?" shows this help; an item may start with the model's suggested spans marked ("." accepts them). An item with another model's suggestion (hilt suggestions import) shows it before you answer: "." accepts it.

    Example: hilt label reviews.hilt --annotator ana
    """
    from hilt.cli._features import warm_features

    location = project_location(project)
    name = annotator or default_annotator()
    out = Console(highlight=False)
    with open_project(location, scheduler=scheduler) as opened:
        widget = get_task(opened.task).widget
        # A spans project is marked with typed lines ("3-4 1" + Enter), never single keys.
        single_keys = sys.stdin.isatty() and len(opened.labels) <= MAX_KEYED_LABELS and widget != "spans"
        # Toggles (a multi-label project) are pressed several in a row: each key of a burst counts.
        toggles = widget == "toggles"
        keys = terminal_keys(one_per_key=toggles) if single_keys else line_keys(sys.stdin)
        with contextlib.closing(keys):
            warm_features(opened)
            out.print(f"Labelling {display_location(location)} as [bold]{name}[/] ({opened.kind} items"
                      + (f"; the model retrains on the Dask cluster at {opened.scheduler}" if opened.scheduler else "")
                      + ").")
            run_label_loop(opened, name, keys, out, wait_for_model=wait)
