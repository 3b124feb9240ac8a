"""Another model's predictions as suggestions (pre-annotations): the :class:`Suggestions` service.

A suggestion is checked like an answer of the project's task (a label of the project, a set of
them, spans inside the item's text) and stored apart from the answers
(:mod:`hilt.store.suggestions`): it is never trained on, never counted as a label, and never
decides an item's final answer. What the faces do with it (show it, accept it with one key, the
cold start's order) is built on :meth:`Suggestions.for_items`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from hilt.errors import InputError
from hilt.project.configuration import Configuration
from hilt.store import Store

__all__ = ["Suggestions", "check_source"]


class Suggestions:
    """Import and read back the suggestions of the project in ``store``."""

    def __init__(self, store: Store, config: Configuration):
        self._store = store
        self._config = config

    def import_suggestions(self, rows: Iterable[Any], *, source: str = "model") -> int:
        """Store another model's predictions as suggestions; returns how many were stored.

        ``rows``: ``(item_id, answer)`` or ``(item_id, answer, score)`` tuples, or mappings with
        ``item_id``, ``label`` and optionally ``score`` (a DataFrame: ``frame.to_dict("records")``).
        ``answer`` is what :meth:`hilt.Project.answer` takes (a label; a list of labels for a
        multi-label project; spans for a spans project); ``score`` the model's confidence in
        [0, 1] or ``None``. ``source`` names the model (or its version); importing the same source
        again replaces its suggestion for each item given. All rows or none are stored: a bad row
        is an :class:`InputError` naming its position and item id.

        Before the project's first model, the items with a score are served first, lowest score
        (least confident) first (:meth:`seed_cold_start`); the evaluation sample is served as always.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"id": ["a", "b"], "text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     id_column="id") as project:
        ...     project.import_suggestions([("a", "pos", 0.9), ("b", "neg", 0.6)], source="zero-shot")
        2
        """
        source = check_source(source)
        task = self._store.task
        labels = self._config.settings.labels
        checked: list[tuple[str, str, float | None]] = []
        for position, row in enumerate(rows, start=1):
            item_id, answer, score = _parts(row, position)
            where = f"suggestion {position:,} (item {item_id!r})"
            if answer is None:
                raise InputError(f"Expected a suggested answer in {where}; got none. Leave the row out instead.")
            text = None
            if task.needs_text:  # spans point into the item's text: an unknown id is a NotFoundError
                text = self._store.item(item_id).data.get("text")
            try:
                canonical = task.check_answer(answer, labels, text=text)
            except InputError as error:
                raise InputError(f"In {where}: {error}") from None
            checked.append((item_id, task.encode(canonical, labels), _score(score, where)))
        written = self._store.write_suggestions(source, checked)
        self.seed_cold_start()
        return written

    def seed_cold_start(self) -> int:
        """Before the project's first model, serve the items with a scored suggestion first,
        least confident first (:meth:`hilt.store.Store.write_cold_queue`); returns how many are
        queued. Not with the ``random`` strategy, whose order is the point (an unbiased sample)."""
        if self._config.settings.strategy == "random":
            return 0
        return self._store.write_cold_queue()

    def for_items(self, keys_to_rowids: Mapping[str, int]) -> dict[str, tuple[Any, float | None, str]]:
        """Item id -> ``(answer as faces get it, score, source)`` for the given items that have one."""
        task = self._store.task
        labels = self._config.settings.labels
        found = self._store.suggestions_for(keys_to_rowids.values())
        by_rowid = {rowid: key for key, rowid in keys_to_rowids.items()}
        return {by_rowid[rowid]: (task.decode(label, labels), score, source)
                for rowid, (label, score, source) in found.items()}

    def rows(self) -> list[dict[str, Any]]:
        """Every suggestion, decoded: ``item_id``, ``source``, ``label``, ``score``, in item order."""
        task = self._store.task
        labels = self._config.settings.labels
        return [{**row, "label": task.decode(row["label"], labels)} for row in self._store.suggestion_rows()]


def check_source(source: Any) -> str:
    """A suggestion source name as stored: 1-100 characters of text."""
    if not isinstance(source, str) or not 1 <= len(source.strip()) <= 100:
        raise InputError(f"Expected the suggestions' source (the model's name) to be 1-100 characters; got {source!r}.")
    return source.strip()


def _parts(row: Any, position: int) -> tuple[str, Any, Any]:
    if isinstance(row, Mapping):
        if "item_id" not in row or "label" not in row:
            raise InputError(f"Expected suggestion {position:,} to have the keys item_id and label; "
                             f"got {sorted(map(str, row))}.")
        item_id, answer, score = row["item_id"], row["label"], row.get("score")
    elif isinstance(row, (tuple, list)) and len(row) in (2, 3):
        item_id, answer, score = (*row, None) if len(row) == 2 else row
    else:
        raise InputError(f"Expected suggestion {position:,} to be (item_id, answer[, score]) or a mapping; got {row!r}.")
    if isinstance(item_id, float) and item_id.is_integer():
        item_id = int(item_id)  # a pandas column of ids with a gap reads as floats
    return str(item_id), answer, score


def _score(score: Any, where: str) -> float | None:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= float(score) <= 1:
        raise InputError(f"Expected the score of {where} to be a number from 0 to 1 (the model's confidence); "
                         f"got {score!r}.")
    return float(score)
