"""Serving and answering: the :class:`Labelling` service.

The queue and the leases live in the store (:mod:`hilt.store.serving`); this service checks what
a face sends (annotator names, labels, answer ids), filters the columns annotators do not see,
and tells the training service about every new training label so that retrains start on time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Sequence

from hilt.errors import InputError
from hilt.project.annotators import check_annotator
from hilt.project.configuration import Configuration, check_number
from hilt.project.display import Display
from hilt.project.item import Item
from hilt.project.results import AnswerReply
from hilt.store import ItemRow, Store
from hilt.tasks import Task
from hilt.tasks.spans_text import tokenize

if TYPE_CHECKING:
    from hilt.project.training import Training
    from hilt.project.webhooks import Webhooks

__all__ = ["MAX_SECONDS", "SUGGESTIONS_RECHECK", "Labelling", "check_seconds", "served_item", "suggests"]

#: Seconds between two looks at whether a project without suggestions has been given some (by
#: another process: an import through the project itself is seen at once).
SUGGESTIONS_RECHECK = 1.0

#: The longest time an answer is credited with (one hour): a page left open overnight is time
#: away, not time spent on the item, and must not swamp a median.
MAX_SECONDS = 3600.0


class Labelling:
    """The queue, leases, answers, undo and answer history of the project in ``store``."""

    def __init__(self, store: Store, config: Configuration, training: "Training", webhooks: "Webhooks | None" = None):
        self._store = store
        self._config = config
        self._training = training
        self._webhooks = webhooks
        # Whether the project has suggestions at all, so that a project without any pays no
        # look-up per serve and per answer; rechecked now and then (another process may import).
        self._suggestions_seen = False
        self._suggestions_checked = float("-inf")

    def watch(self, keys: Sequence[str] | Callable[[], Sequence[str]], annotator: str) -> ContextManager[None]:
        """Around a change to items ``keys`` by ``annotator``: the project's webhook hears of each
        whose final label the change changed (:meth:`hilt.project.webhooks.Webhooks.watch`)."""
        return contextlib.nullcontext() if self._webhooks is None else self._webhooks.watch(keys, annotator)

    def next_item(self, annotator: str) -> Item | None:
        """Lease the next item to ``annotator``; ``None`` when nothing is left for them.

        The most uncertain unlabelled item by the current ranking (random items before the
        first model), with a share ``eval_share`` of random evaluation items mixed in. Asking
        again before answering returns the same item. The lease expires after ``lease_seconds``.
        """
        check_annotator(annotator)
        self._training.maybe_retrain()
        settings = self._config.settings
        row = self._store.claim(annotator, lease_seconds=settings.lease_seconds, eval_share=settings.eval_share)
        return None if row is None else self._served(row)

    def _any_suggestions(self) -> bool:
        """Whether the project has suggestions: once seen, always (they are never deleted); until
        then asked again at most every :data:`SUGGESTIONS_RECHECK` seconds."""
        if not self._suggestions_seen and time.monotonic() - self._suggestions_checked >= SUGGESTIONS_RECHECK:
            self._suggestions_seen = self._store.has_suggestions()
            self._suggestions_checked = time.monotonic()
        return self._suggestions_seen

    def suggestions_changed(self) -> None:
        """Suggestions were imported through this project: look again before the next serve."""
        self._suggestions_checked = float("-inf")

    def _served(self, row: ItemRow) -> Item:
        settings = self._config.settings
        item = served_item(row, self._config.display, self._store.task, settings.labels, settings.eval_share)
        if not self._any_suggestions() or not suggests(row.key, row.is_eval, settings.eval_share):
            return item  # never on evaluation items, nor on an equal share of others (see suggests)
        found = self._store.suggestions_for([row.rowid]).get(row.rowid)
        if found is None:
            return item
        label, score, source = found
        return dataclasses.replace(item, suggestion=self.decode(label), suggestion_score=score,
                                   suggestion_source=source)

    def kept_suggestion(self, item_id: str, stored: str | None) -> int | None:
        """Whether the answer ``stored`` (encoded) for ``item_id`` kept the suggestion the item was
        served with: 1 when it is that suggestion, 0 when it differs, ``None`` when the item is
        served without one (or the answer is a skip, which neither keeps nor corrects it).

        Decided here from what the faces were handed (:meth:`_served`'s rule), never taken from
        a client.
        """
        if stored is None or not self._any_suggestions():
            return None
        found = self._store.suggestion_of(str(item_id))
        if found is None or not suggests(str(item_id), found[1], self._config.settings.eval_share):
            return None
        return int(found[0] == stored)

    def peek_items(self, annotator: str, n: int) -> list[Item]:
        """The next ``n`` items ``annotator`` would be served (ranked ones first), without leasing."""
        check_annotator(annotator)
        check_number("n", n, 1, None, whole=True)
        return [self._served(row) for row in self._store.peek(annotator, int(n))]

    def answer(self, item_id: str, label: Any, annotator: str, answer_id: str | None = None, *,
               lease_next: bool = False, seconds: float | None = None) -> AnswerReply:
        """Record ``annotator``'s ``label`` for ``item_id`` (``label=None`` skips the item).

        ``label`` is what the project's task takes (:mod:`hilt.tasks`): one of the labels for
        ``single``; for ``multilabel`` a list, tuple or set of labels (any order, no repeats),
        ``[]`` for "none of these".

        Committed to disk before it returns. Repeating an ``answer_id`` stores nothing new and
        returns ``duplicate=True``, so a client may retry safely.

        Any item may be answered, also one leased to someone else: a lease decides who is
        *served* an item, it does not lock answering. A person whose lease ran out while they
        were thinking keeps their label instead of losing the work; the item then has a label,
        so it is served to nobody again, and a second label from the lease holder is kept too
        (the item's label is then decided as for any item with several answers: see
        :func:`hilt.store.consensus.final_labels`; ``export(..., include_retracted=True)``
        shows both). Rejecting the late answer
        would instead break safe retries: a retried skip must stay a duplicate even after the
        item was leased on.

        Raises :class:`hilt.errors.InputError` for a label outside the project's labels or a bad
        ``answer_id``, :class:`hilt.errors.NotFoundError` for an unknown ``item_id``, and
        :class:`hilt.errors.ConflictError` when an ``answer_id`` comes back with a different answer.

        With ``lease_next=True`` the annotator's next item is leased in the same transaction
        (one commit for the usual "answer, show the next item" step of a labelling face) and
        returned under ``"next"`` (an :class:`Item`, or ``None`` when nothing is left), exactly as
        :meth:`next_item` would have served it. A retried answer gets the item it was first given.

        ``seconds`` is how long the person spent on the item (the face's focus time; ``None``
        when it does not measure it), kept with the answer: a number from 0 to
        :data:`MAX_SECONDS` (longer is taken as time away and kept as that cap).

        Returns an :class:`~hilt.project.results.AnswerReply`: ``{"saved": True, "answer_id": ...,
        "duplicate": bool}`` (plus ``"next"``).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad", "fine"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     item = project.next_item("ada")
        ...     reply = project.answer(item.id, "pos", "ada", answer_id="a1", lease_next=True)
        ...     reply["saved"], reply["next"] is not None, project.answer(item.id, "pos", "ada", "a1")["duplicate"]
        (True, True, True)
        """
        label, answer_id = self.checked(label, annotator, answer_id, item_id)
        extra = {"seconds": check_seconds(seconds), "kept_suggestion": self.kept_suggestion(str(item_id), label)}
        settings = self._config.settings
        with self.watch([str(item_id)], annotator):
            if lease_next:
                result, row = self._store.answer_and_claim(str(item_id), label, annotator, answer_id,
                                                           lease_seconds=settings.lease_seconds,
                                                           eval_share=settings.eval_share, **extra)
            else:
                result, row = self._store.record_answer(str(item_id), label, annotator, answer_id, **extra), None
        self._training.count_training(result)
        self._training.maybe_retrain()  # also when only next_item's check would have started a due run
        following = None if row is None else self._served(row)
        return AnswerReply(saved=True, answer_id=result["answer_id"], duplicate=result["duplicate"],
                           next=following, leased_next=lease_next)

    def checked(self, label: Any, annotator: str, answer_id: str | None,
                item_id: Any = None) -> tuple[str | None, str]:
        """``(stored answer, answer id)``: the answer checked and encoded by the project's task
        (:meth:`hilt.tasks.base.Task.check_answer`; against the text of item ``item_id`` for a
        task whose answers point into it, spans), and :meth:`check_answer`'s id."""
        answer_id = self.check_answer(label, annotator, answer_id)
        labels = self._config.settings.labels
        task = self._store.task
        text = None
        if task.needs_text and label is not None:
            text = self._store.item(str(item_id)).data.get("text")  # an unknown id: NotFoundError
        return task.encode(task.check_answer(label, labels, text=text), labels), answer_id

    def decode(self, stored: str | None) -> Any:
        """A stored answer as faces get it (a list in label order for ``multilabel``)."""
        return self._store.task.decode(stored, self._config.settings.labels)

    def check_answer(self, label: Any, annotator: str, answer_id: str | None) -> str:
        """Check an answer's parts (an answer of the project's task, a valid annotator name and
        answer id); returns the answer id, a new one when none was given."""
        check_annotator(annotator)
        self._store.task.check_answer(label, self._config.settings.labels)
        if answer_id is None:
            return uuid.uuid4().hex
        if not isinstance(answer_id, str) or not 1 <= len(answer_id) <= 128:
            raise InputError(f"Expected answer_id to be a string of 1-128 characters; got {answer_id!r}.")
        return answer_id

    def undo(self, annotator: str, undo_id: str | None = None) -> Item | None:
        """Retract ``annotator``'s latest current answer (kept, marked retracted) and lease the
        item back to them; returns it, or ``None`` when they have nothing left to undo.

        When the item has meanwhile been leased to someone else (``annotator`` skipped it and it
        went to the next person), the answer is retracted all the same, but the item stays with
        the person holding it, so that it is never on two screens at once: ``undo`` then returns
        ``None`` and ``annotator`` keeps their current item.

        ``undo_id`` (1-128 characters) makes a retry safe, like ``answer_id``: an undo repeated
        with the same id (within a day, by any process over the project) retracts nothing more
        and returns what the first one returned.
        """
        check_annotator(annotator)
        if undo_id is not None and (not isinstance(undo_id, str) or not 1 <= len(undo_id) <= 128):
            raise InputError(f"Expected undo_id to be a string of 1-128 characters; got {undo_id!r}.")
        with self.watch(lambda: [self._store.latest_answer_key(annotator)], annotator):
            row = self._store.undo(annotator, lease_seconds=self._config.settings.lease_seconds, undo_id=undo_id)
        return None if row is None else self._served(row)

    def recent_answers(self, annotator: str, limit: int = 20) -> list[dict]:
        """``annotator``'s latest current answers, newest first (skips have ``label=None``).

        Each is a dict with ``item_id``, ``label``, ``answered_at``, ``answer_id`` and the item's
        ``data``. What a labelling face lists so that an earlier answer can be changed with
        :meth:`change_answer`.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> project = Project.create(folder / "p.hilt", pd.DataFrame({"text": ["a", "b", "c"]}), ["x", "y"])
        >>> item = project.next_item("ada")
        >>> _ = project.answer(item.id, "x", "ada")
        >>> [(a["item_id"], a["label"]) for a in project.recent_answers("ada")] == [(item.id, "x")]
        True
        >>> project.close()
        """
        check_annotator(annotator)
        check_number("limit", limit, 1, 1000, whole=True)
        answers = self._store.recent_answers(annotator, int(limit))
        for answer in answers:  # the columns annotators are not shown stay hidden here too
            answer["data"] = self._config.display.filter(answer["data"])
            answer["label"] = self.decode(answer["label"])
        return answers

    def change_answer(self, item_id: str, label: Any, annotator: str, answer_id: str | None = None) -> dict:
        """Change ``annotator``'s answer for an item answered earlier: a new answer, the old kept.

        The new answer is stored and the annotator's earlier answers on the item are retracted in
        the same transaction (kept in the file, shown by ``export(..., include_retracted=True)``),
        so the item counts once for them and the export has its new label. Validation, retries
        with the same ``answer_id`` and the reply are as in :meth:`answer`.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> project = Project.create(folder / "p.hilt", pd.DataFrame({"text": ["a", "b", "c"]}), ["x", "y"])
        >>> item = project.next_item("ada")
        >>> _ = project.answer(item.id, "x", "ada")
        >>> project.change_answer(item.id, "y", "ada")["saved"]
        True
        >>> [row["label"] for row in project.export_rows()]
        ['y']
        >>> project.close()
        """
        label, answer_id = self.checked(label, annotator, answer_id, item_id)
        with self.watch([str(item_id)], annotator):
            result = self._store.change_answer(str(item_id), label, annotator, answer_id,
                                               kept_suggestion=self.kept_suggestion(str(item_id), label))
        self._training.count_training(result)
        self._training.maybe_retrain()
        return {"saved": True, "answer_id": result["answer_id"], "duplicate": result["duplicate"]}


def served_item(row: ItemRow, display: Display, task: Task | None = None, labels: Sequence[str] = (),
                eval_share: float = 0.0) -> Item:
    """The :class:`Item` a face shows for a store row: only the columns annotators see, and the
    guess decoded by the project's ``task`` (a list of labels for ``multilabel``, of spans for
    ``spans``, whose items also carry their tokens and whether to pre-fill the guess)."""
    data = display.filter(row.data)  # columns that may hold the answer stay out of every face
    spans = task is not None and task.widget == "spans"
    tokens = tokenize(str(data.get("text") or "")) if spans else None
    # Evaluation items carry the run's guess like ranked ones (RetrainJob._with_eval_guesses):
    # whether an item has a guess never says whether it is an evaluation item.
    if row.guess is None:
        return Item(row.key, data, row.is_eval, tokens=tokens)
    guess = row.guess if task is None else task.decode(row.guess, labels)
    suggest = spans and suggests(row.key, row.is_eval, eval_share)
    return Item(row.key, data, row.is_eval, guess, row.score, tokens=tokens, suggest=suggest)


def suggests(key: str, is_eval: bool, eval_share: float) -> bool:
    """Whether a spans item's face pre-fills the model's spans (:attr:`Item.suggest`).

    Never on an evaluation item: the answers that measure the model are given without its
    help. And never on a share ``eval_share`` of the other items, drawn by a hash of the item's
    key (the same on every server, every time it is served), so that the items served without
    suggestions are about half evaluation items and half not: a page without suggestions does
    not give an evaluation item away. Those items also show what people mark unprompted, beside
    what they mark with a suggestion in front of them.

    Examples
    --------
    >>> from hilt.project.labelling import suggests
    >>> suggests("7", True, 0.1), suggests("7", False, 0.0)
    (False, True)
    >>> share = sum(not suggests(str(k), False, 0.2) for k in range(10_000)) / 10_000
    >>> 0.18 < share < 0.22
    True
    """
    if is_eval:
        return False
    digest = hashlib.blake2b(f"hilt-suggest:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64 >= float(eval_share)


def check_seconds(seconds: Any) -> float | None:
    """``seconds`` spent on an item as stored: ``None`` stays ``None``; a number from 0 is kept,
    capped at :data:`MAX_SECONDS`; anything else is an :class:`InputError`.

    Examples
    --------
    >>> from hilt.project.labelling import check_seconds
    >>> check_seconds(None), check_seconds(2), check_seconds(1e9)
    (None, 2.0, 3600.0)
    """
    if seconds is None:
        return None
    check_number("seconds", seconds, 0, None)
    if seconds == float("inf"):
        raise InputError(f"Expected seconds to be a finite number >= 0; got {seconds!r}.")
    return min(float(seconds), MAX_SECONDS)
