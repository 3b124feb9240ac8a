"""Answers read from another tool's file (Label Studio, Prodigy, a Hugging Face dataset), each by
the person who gave it, written in one transaction.

Part of :class:`hilt.store.Store` (a mixin). Each answer goes through the same insert as a
person's answer (:meth:`~hilt.store.answers.AnswersMixin.record_answer`: its ``answer_id`` makes a
repeated import store nothing new, and overlapped items are recounted); all are stored or none.
"""

from __future__ import annotations

from typing import Any, Sequence

from hilt.store.engine import write

__all__ = ["AnswerImportMixin"]


class AnswerImportMixin:
    """Importing named people's answers: a method of :class:`hilt.store.Store`."""

    _engine: Any

    def import_answers(self, rows: Sequence[tuple[str, str | None, str, str]]) -> dict[str, int]:
        """Store ``(item key, encoded answer or None for a skip, annotator, answer_id)`` rows, all or
        none; returns ``{"stored", "repeated", "training"}`` (new answers, answer ids seen before,
        new answers the model may learn from).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from hilt.store import Store
        >>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", {"labels": ["a", "b"]})
        >>> _ = store.add_items(["x"], [{"text": "one"}], eval_share=0.0)
        >>> store.import_answers([("x", "a", "ada", "id-1"), ("x", "b", "bob", "id-2")])
        {'stored': 2, 'repeated': 0, 'training': 2}
        >>> store.import_answers([("x", "a", "ada", "id-1")])
        {'stored': 0, 'repeated': 1, 'training': 0}
        >>> store.close()
        """
        stored = repeated = training = 0
        with write(self._engine) as conn:
            for key, label, annotator, answer_id in rows:
                result = self._record_answer(conn, key, label, annotator, answer_id)  # type: ignore[attr-defined]
                if result["duplicate"]:
                    repeated += 1
                    continue
                stored += 1
                training += bool(result["training"])
        return {"stored": stored, "repeated": repeated, "training": training}
