"""Finding items and labelling many at once: the :class:`Search` service.

Text search runs in the store (:mod:`hilt.store.search`: SQLite FTS5, PostgreSQL full-text) over
the columns people see; :meth:`Search.similar` ranks items by cosine similarity on the project's
feature matrix (:mod:`hilt.project.features`). :meth:`Search.label_many` turns a selection into
one answer per item by one person, stored as a group in one transaction, undone as a group.

What search, similar and bulk labelling never reach
---------------------------------------------------
The evaluation sample: its items must be answered one at a time, as served, or the accuracy they
measure is no longer the accuracy on items as they come. And so that an item's absence from
search does not give it away as an evaluation item, a share ``eval_share`` of the other items,
drawn by a hash of the key, is kept out as well (:func:`kept_out`): the same items a spans page
shows without suggestions (:func:`hilt.project.labelling.suggests`), so that neither view tells
more than the other. Those items are labelled as they are served.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Sequence

import numpy as np
import scipy.sparse as sp

from hilt.errors import InputError, NotFoundError
from hilt.project.annotators import check_annotator
from hilt.project.configuration import Configuration, check_number
from hilt.project.item import Item
from hilt.project.labelling import served_item, suggests
from hilt.project.results import BulkReply, SearchPage, SimilarItems, UndoBatchReply
from hilt.store import ItemRow, Store

if TYPE_CHECKING:
    from hilt.project.training import Training

__all__ = ["MAX_BULK", "MAX_PAGE", "Search", "kept_out"]

#: Items one bulk labelling may hold at most (one transaction; a page of results is far fewer).
MAX_BULK = 10_000
#: Items one search page or one similar() call returns at most.
MAX_PAGE = 1_000


def kept_out(key: str, is_eval: bool, eval_share: float) -> bool:
    """Whether search, similar and bulk labelling leave item ``key`` out: every evaluation item,
    and a share ``eval_share`` of the others by a hash of the key (the items
    :func:`~hilt.project.labelling.suggests` is false for).

    Examples
    --------
    >>> from hilt.project.search import kept_out
    >>> kept_out("7", True, 0.1), kept_out("7", False, 0.0)
    (True, False)
    >>> share = sum(kept_out(str(k), False, 0.2) for k in range(10_000)) / 10_000
    >>> 0.18 < share < 0.22
    True
    """
    return not suggests(key, is_eval, eval_share)


class Search:
    """Search, similar items and bulk labelling over the project in ``store``."""

    def __init__(self, store: Store, config: Configuration, training: "Training",
                 watch: Callable[[Any, str], ContextManager[None]] | None = None):
        self._store = store
        self._config = config
        self._training = training
        # The webhook's watch around a change (Labelling.watch): one read of the group's final
        # labels before and one after, an event per item whose final label changed.
        self._watch = watch or (lambda keys, annotator: contextlib.nullcontext())
        self._norms: tuple[Any, np.ndarray] | None = None  # (matrix, its row norms): one per feature matrix
        self._lock = threading.Lock()

    # -- what is kept out ------------------------------------------------------------------
    def _hidden(self, key: str) -> bool:
        return kept_out(key, False, self._config.settings.eval_share)

    def _item(self, row: ItemRow) -> Item:
        settings = self._config.settings
        return served_item(row, self._config.display, self._store.task, settings.labels, settings.eval_share)

    # -- text search -----------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> SearchPage:
        """The items whose shown columns hold every word of ``query``, best match first.

        Words are letters and digits (case, accents and word endings do not matter: "Films"
        finds "film"); a word ending in ``*`` matches every word it starts (``act*``: "actor",
        "acting"). Anything else in the query (quotes, ``OR``, brackets) only separates words.
        Evaluation items and an equal share of the others are never found (see the module doc).
        The first search builds the index (seconds for a million items); later ones add the
        items imported since.

        Raises :class:`hilt.errors.InputError` for a query without a word or a bad ``limit``
        (1-1000) or ``offset`` (0 or more).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["a fine film", "dull films", "a good book"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     eval_share=0, features="tfidf") as project:
        ...     page = project.search("FILM")
        ...     sorted(item.data["text"] for item in page.found), page.more
        (['a fine film', 'dull films'], False)
        """
        check_number("limit", limit, 1, MAX_PAGE, whole=True)
        check_number("offset", offset, 0, None, whole=True)
        rows, more = self._store.search(query, self._config.shown_columns(), hidden=self._hidden,
                                        offset=int(offset), limit=int(limit))
        return SearchPage(query=query, found=[self._item(row) for row in rows], offset=int(offset),
                          limit=int(limit), more=more)

    # -- similar items ---------------------------------------------------------------------
    def similar(self, item_id: str, k: int = 10) -> SimilarItems:
        """The ``k`` items most like ``item_id``: cosine similarity of their rows of the project's
        feature matrix (the one the model is trained on), most similar first.

        Never the item itself, nor an item search leaves out; items with nothing in common
        (similarity 0 or less) are not returned, so fewer than ``k`` may come back. The first
        call builds the features when no retrain has (see :meth:`hilt.Project.warm`).

        Raises :class:`hilt.errors.NotFoundError` for an unknown ``item_id``,
        :class:`hilt.errors.InputError` for ``k`` outside 1-1000.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ["a fine film", "a fine movie", "cold soup"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     id_column="id", eval_share=0, features="tfidf") as project:
        ...     [item.id for item in project.similar("a", k=5).found]
        ['b']
        """
        check_number("k", k, 1, MAX_PAGE, whole=True)
        target = self._store.item(str(item_id))  # an unknown id: NotFoundError
        X, rowids, is_eval = self._training.features.get(self._store)
        pos = int(np.searchsorted(rowids, target.rowid))
        if pos >= len(rowids) or rowids[pos] != target.rowid:
            raise NotFoundError(f"Expected item {item_id!r} among the featurized items; its features are not "
                                "built yet. Try again in a moment.")
        norms = self._row_norms(X)
        row = X[pos]
        dots = np.asarray((X @ row.T).todense() if sp.issparse(X) else X @ np.asarray(row).ravel()).ravel()
        scores = dots / np.where(norms > 0, norms, 1.0) / (norms[pos] or 1.0)
        scores[pos] = -np.inf  # never the item itself
        scores[is_eval] = -np.inf  # nor the evaluation sample
        found: list[Item] = []
        similarity: list[float] = []
        wanted = max(4 * int(k), 64)  # candidates looked up at once: most pass the kept-out check
        seen = 0
        while len(found) < k and seen < len(scores):
            # The best ``wanted`` not seen yet, without sorting a million scores.
            upto = min(seen + wanted, len(scores))
            top = np.argpartition(-scores, upto - 1)[:upto] if upto < len(scores) else np.arange(len(scores))
            top = top[np.argsort(-scores[top], kind="stable")][seen:]
            chunk = [int(i) for i in top if scores[i] > 0]
            for r in self._store.item_rows(rowids[chunk].tolist()):
                if len(found) < k and not self._hidden(r.key):
                    found.append(self._item(r))
                    similarity.append(float(scores[_pos_of(rowids, r.rowid)]))
            if len(chunk) < len(top):  # the rest have nothing in common with the item
                break
            seen, wanted = upto, wanted * 2
        return SimilarItems(item_id=str(item_id), found=found, scores=[round(s, 6) for s in similarity])

    def _row_norms(self, X: Any) -> np.ndarray:
        """The row lengths of ``X``, computed once per feature matrix (a million rows: ~0.1 s)."""
        with self._lock:
            if self._norms is not None and self._norms[0] is X:
                return self._norms[1]
        if sp.issparse(X):
            norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        else:
            norms = np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)
        with self._lock:
            self._norms = (X, norms)
        return norms

    # -- bulk labelling --------------------------------------------------------------------
    def label_many(self, item_ids: Sequence[str], label: Any, annotator: str,
                   batch_id: str | None = None) -> BulkReply:
        """Label every item of ``item_ids`` with ``label`` as ``annotator``: one answer per item,
        all in one transaction, kept as one group (``batch_id``, a new one when not given) that
        :meth:`undo_batch` retracts at once and ``export(..., include_retracted=True)`` shows.

        ``label`` is one label (``single``) or a list of labels (``multilabel``). A spans project
        is refused: a span marks offsets in one text. The whole request is refused, nothing
        stored, when an id names no item (:class:`hilt.errors.NotFoundError`) or an item search
        leaves out (:class:`hilt.errors.InputError`: label those as they are served). Sending the
        same ``batch_id`` again stores nothing new (``duplicate=True``): safe to retry. The
        answers count toward ``retrain_every`` like any others.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["a fine film", "a good film", "cold soup"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     eval_share=0, features="tfidf") as project:
        ...     ids = [item.id for item in project.search("film").found]
        ...     reply = project.label_many(ids, "pos", "ada", batch_id="b1")
        ...     reply.n_stored, project.label_many(ids, "pos", "ada", batch_id="b1").duplicate
        ...     project.undo_batch("ada", "b1").n_retracted, project.status()["n_answered"]
        (2, True)
        (2, 0)
        """
        check_annotator(annotator)
        task = self._store.task
        if task.needs_text:
            raise InputError(f"Expected a project whose answers are labels; this one's are {task.name} (offsets "
                             "in each text), which cannot be given to many items at once. Label them one at a time.")
        if label is None:
            raise InputError("Expected a label for the items; got none (a skip is given one item at a time).")
        if isinstance(item_ids, (str, bytes)) or not isinstance(item_ids, Sequence):
            raise InputError(f"Expected a list of item ids; got {type(item_ids).__name__}.")
        ids = [str(i) for i in item_ids]
        if not 1 <= len(ids) <= MAX_BULK:
            raise InputError(f"Expected 1 to {MAX_BULK} item ids; got {len(ids)}.")
        batch = _check_batch(batch_id)
        labels = self._config.settings.labels
        stored = task.encode(task.check_answer(label, labels), labels)
        with self._watch(ids, annotator):
            result = self._store.record_batch(ids, stored, annotator, batch, hidden=self._hidden)
        if result["stored"] and result["since_run"] is not None:
            self._training.count_training({"training": True, "since_run": self._due_count(result)})
        self._training.maybe_retrain()
        return BulkReply(saved=True, batch=batch, n_labelled=len(set(ids)), n_stored=result["stored"],
                         duplicate=result["stored"] == 0)

    def _due_count(self, result: dict) -> int:
        """The count to hand the training service: a group that passes a multiple of
        ``retrain_every`` hands that multiple, so the run it made due starts (one answer at a
        time, each value is seen; a group jumps over them)."""
        every = self._config.settings.retrain_every
        after = int(result["since_run"])
        before = after - int(result["stored"])
        return after if before // every == after // every else (after // every) * every

    def undo_batch(self, annotator: str, batch: str) -> UndoBatchReply:
        """Retract every current answer of ``annotator``'s group ``batch`` (kept in the project,
        marked retracted); the items are unlabelled again and go back to the queue. Undoing a
        group twice retracts nothing more (``n_retracted=0``); an unknown group is a
        :class:`hilt.errors.NotFoundError`."""
        check_annotator(annotator)
        batch = _check_batch(batch)
        with self._watch(lambda: self._store.batch_keys(annotator, batch), annotator):
            retracted = self._store.retract_batch(annotator, batch)
        return UndoBatchReply(batch=batch, n_retracted=retracted)


def _pos_of(rowids: np.ndarray, rowid: int) -> int:
    # The position of ``rowid`` in the sorted ``rowids`` (the feature rows' order).
    return int(np.searchsorted(rowids, rowid))


def _check_batch(batch_id: Any) -> str:
    if batch_id is None:
        return uuid.uuid4().hex
    if not isinstance(batch_id, str) or not 1 <= len(batch_id) <= 128:
        raise InputError(f"Expected batch_id to be a string of 1-128 characters; got {batch_id!r}.")
    return batch_id
