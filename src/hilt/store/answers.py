"""Answers: recording them (append-only, safe to retry), changing one, and reading the current
labels, decisions and counts back.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from hilt.errors import ConflictError, NotFoundError
from hilt.store.common import RECOUNT, utc_now
from hilt.store.engine import read, write
from hilt.tasks import ANNOTATE, Decision, Task, get_task

__all__ = ["ANSWER_EXTRAS", "AnswersMixin"]

#: An answer's optional columns (schema version 7), each NULL unless the face or service says.
ANSWER_EXTRAS = ("seconds", "batch", "kept_suggestion")


# New training labels since the latest model run started, over every process serving the project
# (reset by start_run): a retrain is due when it reaches retrain_every, whoever gave the labels.
_COUNT_TRAINING = text(
    "INSERT INTO meta (key, value) VALUES ('since_run', '1') ON CONFLICT (key) DO UPDATE "
    "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT) RETURNING value"
)


class AnswersMixin:
    """Answers: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    @property
    def task(self) -> Task:
        """The project's task (:mod:`hilt.tasks`): the meta's ``task``, ``single`` for a project
        made before tasks existed. Fixed at creation, so read once."""
        task = self.__dict__.get("_task")
        if task is None:
            task = self.__dict__["_task"] = get_task(self.meta().get("task"))  # type: ignore[attr-defined]
        return task

    def _final(self, rows: Any) -> dict[Any, Decision]:
        """The task's final answers of ``(item, order, annotator, stored, role)`` rows."""
        task = self.task  # (single's rule needs no labels: no meta read for them)
        return task.final_answers(rows, self.meta()["labels"] if task.multilabel else ())  # type: ignore[attr-defined]

    def record_answer(self, key: str, label: str | None, annotator: str, answer_id: str, *,
                      role: str = ANNOTATE, **extra: Any) -> dict[str, Any]:
        """Store one answer (``label=None``: a skip) and release the annotator's lease on the item.

        ``role="review"`` records a reviewer's decision, which settles the item's final label
        (the task's :meth:`~hilt.tasks.base.Task.final_answers`). Returns ``{"answer_id", "duplicate",
        "training"}``; ``training`` says whether the answer is a new label the model may learn
        from (not a skip, not an evaluation item). An ``answer_id`` seen before stores nothing
        and returns ``duplicate=True``.
        """
        # ``label`` comes encoded by the project's task (hilt.tasks): one string, or NULL for a skip.
        with write(self._engine) as conn:
            return self._record_answer(conn, key, label, annotator, answer_id, role, **extra)

    def _record_answer(self, conn: Connection, key: str, label: str | None, annotator: str,
                       answer_id: str, role: str = ANNOTATE, **extra: Any) -> dict[str, Any]:
        unknown = set(extra) - set(ANSWER_EXTRAS)
        if unknown:  # a programming mistake, not a user's: the columns are fixed by the schema
            raise TypeError(f"Expected answer columns among {ANSWER_EXTRAS}, got {sorted(unknown)}")
        earlier = conn.execute(
            text("SELECT i.key, a.label, a.annotator, a.role FROM answers a JOIN items i ON i.id = a.item "
                 "WHERE a.answer_id = :id"), {"id": answer_id}
        ).first()
        if earlier is not None:
            if tuple(earlier)[:3] != (key, label, annotator) or earlier[3] != role:
                raise ConflictError(
                    f"Expected answer_id {answer_id!r} to repeat the answer it was first sent "
                    f"with (item {earlier[0]!r}, label {earlier[1]!r}, annotator {earlier[2]!r}); "
                    f"got item {key!r}, label {label!r}, annotator {annotator!r}. Use a new answer_id "
                    "for a new answer."
                )
            return {"answer_id": answer_id, "duplicate": True, "training": False}
        item = conn.execute(text("SELECT id, is_eval FROM items WHERE key = :k"), {"k": key}).first()
        if item is None:
            raise NotFoundError(f"Expected an item with id {key!r}, but the project has none.")
        conn.execute(
            text("INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted, role, "
                 "seconds, batch, kept_suggestion) "
                 "VALUES (:id, :item, :a, :label, :now, 0, :role, :seconds, :batch, :kept_suggestion)"),
            {"id": answer_id, "item": item[0], "a": annotator, "label": label, "now": utc_now(), "role": role,
             **{name: None for name in ANSWER_EXTRAS}, **extra},
        )
        conn.execute(text("DELETE FROM leases WHERE item = :item AND annotator = :a"),
                     {"item": item[0], "a": annotator})
        conn.execute(RECOUNT, {"item": item[0]})
        training = label is not None and not item[1]
        result = {"answer_id": answer_id, "duplicate": False, "training": training}
        if training:  # counted in the project, so that any number of servers share one count
            result["since_run"] = int(json.loads(conn.execute(_COUNT_TRAINING).scalar()))
        return result

    def current_labels(self, *, is_eval: bool | None = None) -> dict[int, str]:
        """Row id -> final answer (encoded) of every item with one (the task's
        :meth:`~hilt.tasks.base.Task.final_answers`: the latest review, else the annotators'
        majority, else the single answer).

        ``is_eval=False``: the training labels; ``True``: the evaluation sample's labels.
        """
        return {item: d.label for item, d in self.decisions(is_eval=is_eval).items()}

    def decisions(self, *, is_eval: bool | None = None) -> dict[int, Decision]:
        """Row id -> :class:`~hilt.tasks.Decision` (final answer, votes, reviewed)."""
        return self._final(self._labelled_answers(is_eval=is_eval))

    def _labelled_answers(self, *, is_eval: bool | None = None) -> list[tuple[int, int, str, str, str]]:
        """``(item, answer id, annotator, label, role)`` of every current non-skip answer."""
        where = "" if is_eval is None else f" AND i.is_eval = {int(is_eval)}"
        join = "" if is_eval is None else " JOIN items i ON i.id = a.item"
        with read(self._engine) as conn:
            return conn.exec_driver_sql(
                "SELECT a.item, a.id, a.annotator, a.label, a.role FROM answers a" + join +
                " WHERE a.retracted = 0 AND a.label IS NOT NULL" + where).all()

    def current_answers(self) -> list[dict[str, Any]]:
        """Every current non-skip answer, oldest first: ``item_id``, ``annotator``, ``label``,
        ``role``, ``is_eval``, ``order`` (the answer's row id) and ``answered_at``."""
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, a.annotator, a.label, a.role, i.is_eval, a.id, a.created_at FROM answers a "
                "JOIN items i ON i.id = a.item WHERE a.retracted = 0 AND a.label IS NOT NULL ORDER BY a.id").all()
        return [{"item_id": key, "annotator": annotator, "label": label, "role": role, "is_eval": bool(is_eval),
                 "order": int(order), "answered_at": at}
                for key, annotator, label, role, is_eval, order, at in rows]

    def counts(self) -> dict[str, Any]:
        """The numbers :meth:`hilt.project.Project.status` reports."""
        with read(self._engine) as conn:
            n_items, n_eval_items = conn.execute(
                text("SELECT COUNT(*), COALESCE(SUM(is_eval), 0) FROM items")).one()
            current = conn.exec_driver_sql(
                "SELECT a.item, a.id, a.annotator, a.label, a.role, i.is_eval FROM answers a "
                "JOIN items i ON i.id = a.item WHERE a.retracted = 0").all()
        eval_items = {item for item, *_, is_eval in current if is_eval}
        by_annotator: dict[str, int] = {}
        n_skipped = 0
        for _, _, annotator, label, _, _ in current:
            if label is None:
                n_skipped += 1
            else:
                by_annotator[annotator] = by_annotator.get(annotator, 0) + 1
        label_of = {item: d.label for item, d in self._final(
            row[:5] for row in current if row[3] is not None).items()}
        eval_items &= label_of.keys()
        by_label: dict[str, int] = {}
        task = self.task
        labels = self.meta()["labels"] if task.multilabel else ()  # type: ignore[attr-defined]
        for stored in label_of.values():
            for label in task.counted_labels(stored, labels):  # each label of a final set counts
                by_label[label] = by_label.get(label, 0) + 1
        return {
            "n_items": int(n_items), "n_answered": len(label_of), "n_skipped": n_skipped,
            "n_left": int(n_items) - len(label_of), "n_eval": len(eval_items),
            "n_eval_items": int(n_eval_items), "by_label": by_label, "by_annotator": by_annotator,
        }

    def answer_rows(self, *, include_retracted: bool = False) -> list[dict[str, Any]]:
        """Answers joined with their items, oldest first.

        By default one row per item with a final label: the answer that decided it (the
        review, else the earliest vote for the majority label; see
        the task's final-answer rule). ``include_retracted=True``: every answer
        ever given, skips, retracted answers and review decisions included, with its ``role``
        (and, like every row, its bulk-labelling group ``batch``, ``None`` for one-by-one answers).
        """
        where = "" if include_retracted else " WHERE a.retracted = 0 AND a.label IS NOT NULL"
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, a.label, a.annotator, a.created_at, a.answer_id, a.retracted, i.data, "
                "a.role, a.item, a.id, a.batch FROM answers a JOIN items i ON i.id = a.item" + where +
                " ORDER BY a.id").all()
        if not include_retracted:
            decided = self._final(
                (item, order, annotator, label, role)
                for _, label, annotator, _, _, _, _, role, item, order, _ in rows)
            final = {d.order: d.label for d in decided.values()}
            # The deciding answer's row, with the final answer (a multi-label majority may be a
            # set nobody gave as a whole; single's is always the deciding answer's own label).
            rows = [(*row[:1], final[row[9]], *row[2:]) for row in rows if row[9] in final]
        return [
            {"item_id": key, "label": label, "annotator": annotator, "answered_at": at,
             "answer_id": answer_id, "retracted": bool(retracted), "role": role, "batch": batch,
             "data": json.loads(data)}
            for key, label, annotator, at, answer_id, retracted, data, role, _, _, batch in rows
        ]

    def labelled_rows(self) -> list[tuple[str, dict, str]]:
        """``(key, data, label)`` of each item with a final label, in item order."""
        labels = self.current_labels()
        if not labels:
            return []
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, key, data FROM items WHERE id IN (SELECT DISTINCT item FROM answers "
                "WHERE retracted = 0 AND label IS NOT NULL) ORDER BY id").all()
        return [(key, json.loads(data), labels[rowid]) for rowid, key, data in rows if rowid in labels]

    # -- an annotator's own recent answers (the labelling page's history list) --------------
    def recent_answers(self, annotator: str, limit: int) -> list[dict[str, Any]]:
        """``annotator``'s latest current answers (skips included), newest first, at most ``limit``."""
        with read(self._engine) as conn:
            rows = conn.execute(
                text("SELECT i.key, a.label, a.created_at, a.answer_id, i.data FROM answers a "
                     "JOIN items i ON i.id = a.item WHERE a.annotator = :a AND a.retracted = 0 "
                     "ORDER BY a.id DESC LIMIT :n"), {"a": annotator, "n": int(limit)}).all()
        return [{"item_id": key, "label": label, "answered_at": at, "answer_id": answer_id,
                 "data": json.loads(data)} for key, label, at, answer_id, data in rows]

    def change_answer(self, key: str, label: str | None, annotator: str, answer_id: str,
                      **extra: Any) -> dict[str, Any]:
        """Store a new answer for ``key`` and retract ``annotator``'s earlier ones on it, at once.

        The earlier answers stay in the file (marked retracted, like an undo), so the history of
        a correction is kept while the item has one current answer from this annotator. A
        repeated ``answer_id`` stores and retracts nothing (see :meth:`record_answer`).
        """
        with write(self._engine) as conn:
            result = self._record_answer(conn, key, label, annotator, answer_id, **extra)
            if not result["duplicate"]:
                conn.execute(
                    text("UPDATE answers SET retracted = 1, retracted_at = :now WHERE annotator = :a "
                         "AND retracted = 0 AND answer_id != :id AND item = (SELECT id FROM items WHERE key = :k)"),
                    {"now": utc_now(), "a": annotator, "id": answer_id, "k": key})
                conn.execute(RECOUNT, {"item": conn.execute(
                    text("SELECT id FROM items WHERE key = :k"), {"k": key}).scalar()})
            return result
