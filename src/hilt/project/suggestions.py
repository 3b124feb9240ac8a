"""Another model's predictions as suggestions (pre-annotations): the :class:`Suggestions` service.

A suggestion is checked like an answer of the project's task (a label of the project, a set of
them, spans inside the item's text) and stored apart from the answers
(:mod:`hilt.store.suggestions`): it is never trained on, never counted as a label, and never
decides an item's final answer. What the faces do with it (show it, accept it with one key, the
cold start's order) lives in :mod:`hilt.project.labelling` and :mod:`hilt.store.suggestions`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from hilt.errors import InputError
from hilt.project.configuration import Configuration
from hilt.project.suggestion_writes import check_source, seed_cold_start, store_suggestions
from hilt.store import Store

__all__ = ["Suggestions", "check_source", "seed_cold_start", "store_suggestions"]


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
        return store_suggestions(self._store, self._config.settings.strategy, source, checked)

    def import_file(self, data: Any, *, id_column: str, label_column: str, score_column: str | None = None,
                    source: str | None = None, label_separator: str | None = None, encoding: str = "utf-8") -> int:
        """Store the predictions in a file (CSV, TSV, JSONL, Parquet) or DataFrame as suggestions.

        Each row names an item by ``id_column`` and holds the model's answer in ``label_column``
        (read like a label column of :meth:`hilt.Project.create`: a label; for a multi-label
        project a JSON array or labels joined by ``label_separator``, default ``;``; for spans a
        JSON list of spans), its confidence from 0 to 1 in ``score_column``. An empty answer cell
        is no suggestion. ``source`` names the model (default: ``label_column``). All rows or none
        are stored; a bad cell is an :class:`InputError` naming its line and column. Returns how
        many were stored.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "pred.csv").write_text("id,pred,p\\na,pos,0.9\\nb,,\\n")
        >>> with Project.create(folder / "p.hilt", pd.DataFrame({"id": ["a", "b"], "text": ["good", "bad"]}),
        ...                     ["pos", "neg"], id_column="id") as project:
        ...     project.import_suggestions_file(folder / "pred.csv", id_column="id", label_column="pred",
        ...                                     score_column="p", source="zero-shot")
        1
        """
        from hilt.importing.checks import score_cell
        from hilt.importing.readers import raw_chunks
        from hilt.project.item_import import label_parser

        source = check_source(label_column if source is None else source)
        settings = self._config.settings
        labels = list(settings.labels)
        parse = label_parser(settings.task, labels, label_separator)
        task = self._store.task
        checked: list[tuple[str, str, float | None]] = []
        for raw in raw_chunks(data, encoding=encoding, text_columns=[id_column, label_column]):
            frame = raw.frame.reset_index(drop=True)
            missing = [c for c in (id_column, label_column, score_column) if c and c not in frame.columns]
            if missing:
                raise InputError(f"Expected the column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                                 f"in {raw.source}; the columns are: {', '.join(map(str, frame.columns))}.")
            for position, (key, cell) in enumerate(zip(frame[id_column].tolist(), frame[label_column].tolist())):
                where = raw.where(position)
                key = _cell_text(key)
                if key is None:
                    raise InputError(f"{where}: expected an item id in column {id_column!r}, but it is empty.")
                if _cell_text(cell) is None:
                    continue  # no suggestion for this item
                text = self._store.item(key).data.get("text") if task.needs_text else None
                if parse is None:
                    answer = _cell_text(cell)
                    if answer not in labels:
                        raise InputError(f"{where}: expected a label from {', '.join(labels)} in column "
                                         f"{label_column!r}, got {answer!r}. Fix the value or leave it empty.")
                    stored = task.encode(answer, labels)
                else:
                    stored = parse(cell, f"{where}, column {label_column!r}", text)
                    if stored is None:
                        continue
                score = None if score_column is None else frame[score_column].iloc[position]
                checked.append((key, stored, score_cell(score, where, score_column)))
        return store_suggestions(self._store, settings.strategy, source, checked)

    def seed_cold_start(self) -> int:
        """:func:`seed_cold_start` of this project."""
        return seed_cold_start(self._store, self._config.settings.strategy)

    def rows(self) -> list[dict[str, Any]]:
        """Every suggestion, decoded: ``item_id``, ``source``, ``label``, ``score``, in item order."""
        task = self._store.task
        labels = self._config.settings.labels
        return [{**row, "label": task.decode(row["label"], labels)} for row in self._store.suggestion_rows()]


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


def _cell_text(value: Any) -> str | None:
    """A cell as stripped text; ``None`` when it is empty or missing."""
    from hilt.importing.values import _as_text

    text = _as_text(value)
    return text.strip() if text is not None and text.strip() else None


def _score(score: Any, where: str) -> float | None:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= float(score) <= 1:
        raise InputError(f"Expected the score of {where} to be a number from 0 to 1 (the model's confidence); "
                         f"got {score!r}.")
    return float(score)
