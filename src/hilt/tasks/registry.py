"""The tasks by name: one line each. Add a task by adding a module and a line here."""

from __future__ import annotations

from typing import Any, Callable

from hilt.errors import InputError
from hilt.tasks.base import Task
from hilt.tasks.multilabel import MultiLabel
from hilt.tasks.single import SingleLabel
from hilt.tasks.spans import Spans

__all__ = ["DEFAULT_TASK", "DESCRIPTIONS", "TASKS", "check_task", "get_task"]

_FACTORIES: dict[str, Callable[[], Task]] = {
    "single": SingleLabel,
    "multilabel": MultiLabel,
    "spans": Spans,
}

#: One line per task, for ``--help`` and the docs.
DESCRIPTIONS: dict[str, str] = {
    "single": "one label per item (the default)",
    "multilabel": "a set of labels per item ([] = none of these)",
    "spans": "labelled stretches of text (named entities); [] = nothing to mark",
}

#: Every task name.
TASKS: tuple[str, ...] = tuple(_FACTORIES)

#: The task of a project whose meta names none (every project made before tasks existed).
DEFAULT_TASK = "single"

_MADE: dict[str, Task] = {}


def check_task(name: Any) -> str:
    """The task's name, stripped, or an :class:`~hilt.errors.InputError` listing the names.

    Examples
    --------
    >>> from hilt.tasks import check_task
    >>> check_task(" multilabel ")
    'multilabel'
    >>> check_task("multi")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected task to be one of single, multilabel, spans; got 'multi'.
    """
    text = name.strip() if isinstance(name, str) else name
    if text not in _FACTORIES:
        raise InputError(f"Expected task to be one of {', '.join(TASKS)}; got {name!r}.")
    return text


def get_task(name: Any = None) -> Task:
    """The task object for ``name`` (``None``: :data:`DEFAULT_TASK`); tasks hold no state, so
    each name has one object.

    Examples
    --------
    >>> from hilt.tasks import get_task
    >>> get_task("multilabel").widget, get_task(None).name
    ('toggles', 'single')
    """
    key = check_task(DEFAULT_TASK if name is None else name)
    if key not in _MADE:
        _MADE[key] = _FACTORIES[key]()
    return _MADE[key]
