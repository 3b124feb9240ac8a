"""Time per item read back: :func:`time_spent`, the medians ``status().seconds``, ``hilt status``,
``hilt annotator list`` and the dashboard show.

What is measured (by the faces, stored with each answer as ``seconds``): on the labelling and
review pages, the time an item is on screen while the tab is visible and focused, the clock
stopped after a minute without a key or the mouse (``HILT_IDLE_SECONDS``); in ``hilt label``,
the time from showing the item to the answer, less the time the help (``?``) was up. A median,
not a mean: one answer given after a coffee break moves a mean by minutes and a median not at all.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Sequence

from hilt.project.results import TimeSpent

if TYPE_CHECKING:
    from hilt.store import Store

__all__ = ["medians", "seconds_text", "time_spent"]


def _median(values: Sequence[float]) -> float:
    return round(float(statistics.median(values)), 2)


def medians(rows: Sequence[tuple[str, Sequence[str], float]], labels: Sequence[str]) -> TimeSpent:
    """The medians of ``(annotator, the item's final labels, seconds)`` rows.

    Examples
    --------
    >>> rows = [("ana", ["pos"], 2.0), ("ana", ["neg"], 10.0), ("bob", ["pos"], 4.0), ("bob", ["pos"], 6.0)]
    >>> spent = medians(rows, ["pos", "neg"])
    >>> spent.median, spent.by_annotator, spent.by_label
    (5.0, {'ana': 6.0, 'bob': 5.0}, {'pos': 4.0, 'neg': 10.0})
    >>> medians([], ["pos", "neg"]).median is None
    True
    """
    by_annotator: dict[str, list[float]] = {}
    by_label: dict[str, list[float]] = {}
    for annotator, finals, seconds in rows:
        by_annotator.setdefault(annotator, []).append(seconds)
        for label in finals:
            by_label.setdefault(label, []).append(seconds)
    return TimeSpent(
        median=_median([seconds for _, _, seconds in rows]) if rows else None, n_answers=len(rows),
        by_annotator={name: _median(by_annotator[name]) for name in sorted(by_annotator)},
        by_label={label: _median(by_label[label]) for label in labels if label in by_label},
    )


def time_spent(store: "Store") -> TimeSpent:
    """:func:`medians` over the current timed answers in ``store``, each under its item's final
    label (the task's final-answer rule: a reviewer's decision, else the majority).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from hilt import Project
    >>> frame = pd.DataFrame({"text": ["good", "bad", "fine"]})
    >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
    ...                     eval_share=0, features="tfidf") as project:
    ...     for seconds, label in ((3, "pos"), (5, "neg")):
    ...         _ = project.answer(project.next_item("ada").id, label, "ada", seconds=seconds)
    ...     project.status().seconds.to_dict()
    {'median': 4.0, 'n_answers': 2, 'by_annotator': {'ada': 4.0}, 'by_label': {'pos': 3.0, 'neg': 5.0}}
    """
    rows = store.answer_seconds()
    meta = store.meta()
    labels = list(meta["labels"])
    if not rows:
        return TimeSpent()
    task = store.task
    finals = {item: task.counted_labels(decision.label, labels) for item, decision in store.decisions().items()}
    return medians([(annotator, finals.get(item, []), seconds) for item, annotator, seconds in rows], labels)


def seconds_text(seconds: float | None) -> str:
    """A median time as ``hilt status``, ``hilt annotator list`` and the dashboard write it.

    Examples
    --------
    >>> seconds_text(4.25), seconds_text(75.0), seconds_text(None)
    ('4.2 s', '1 min 15 s', '-')
    """
    if seconds is None:
        return "-"
    if seconds < 59.95:  # what would print as "60.0 s" is a minute
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
