"""What the Dask workers run: read a partition of the pool from the store, count, featurize,
score, and hand back only small results (counts, a partition's top candidates, a few rows).

A partition is a range of item row ids (items are only ever appended, so a range names a fixed
set of items). Each function here is a task: a plain function of plain arguments, run by a
worker process that has hilt installed; nothing here talks to the project's process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from hilt import settings

__all__ = ["PARTITION_ITEMS", "PARTITION_ITEMS_ENV", "Part", "Top", "plan", "partition_stats",
           "build_part", "take_rows", "score_part", "merge_tops", "combine_tops"]

#: Items per partition: a task reads, featurizes and scores this many at once. 250,000 short
#: texts are ~100 MB of TF-IDF rows (~250 MB with 256-dimension embeddings) in a worker.
PARTITION_ITEMS: int = settings.DASK_PARTITION_ITEMS.default
PARTITION_ITEMS_ENV = settings.DASK_PARTITION_ITEMS.name


def partition_items() -> int:
    """:data:`PARTITION_ITEMS`, or the whole number in :data:`PARTITION_ITEMS_ENV`
    (:data:`hilt.settings.DASK_PARTITION_ITEMS`)."""
    return settings.DASK_PARTITION_ITEMS.read()


def plan(top: int, size: int) -> list[tuple[int, int]]:
    """Row-id ranges ``(low, high)`` (both included) of ``size`` ids covering ``1..top``.

    Examples
    --------
    >>> from hilt.cluster.partitions import plan
    >>> plan(10, 4)
    [(1, 4), (5, 8), (9, 10)]
    >>> plan(0, 4)
    []
    """
    return [(low, min(low + size - 1, top)) for low in range(1, top + 1, size)]


# -- reading, on a worker -------------------------------------------------------------------
def read_items(source: Any, low: int, high: int, kind: str, fields: list[str],
               featurizer: Any = None) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(rowids, is_eval, raw)`` of the items in ``low..high`` as ``featurizer`` reads them
    (:meth:`hilt.features.Featurizer.item_fields`, ``items_from_rows``): texts as strings (a
    missing text is ""), table rows (``fields``: the feature columns) as float64, or the items'
    own vectors, as the project's feature cache reads them.

    The store is opened for the task and closed after it (a few milliseconds against a
    partition's seconds): a worker never keeps a connection to a project file that may since
    have been replaced, or to a database that restarted."""
    from hilt.store import Store

    from hilt.features import Featurizer

    reader = featurizer if featurizer is not None else Featurizer()
    store = Store.open(source)
    try:
        rowids, is_eval, rows = store.item_fields_between(reader.item_fields(kind, fields), low, high)
        keys = store.item_keys() if reader.needs_ids else None
    finally:
        store.close()
    ids = None if keys is None else [keys[int(r)] for r in rowids]
    return rowids, is_eval, reader.items_from_rows(rows, kind, fields, ids)


@dataclass
class Part:
    """A partition's items as a worker keeps them: row ids, evaluation flags and feature rows."""

    rowids: np.ndarray
    is_eval: np.ndarray
    X: Any  # a matrix, or FeatureBlocks

    def nbytes(self) -> int:
        blocks = getattr(self.X, "blocks", [self.X])
        size = self.rowids.nbytes + self.is_eval.nbytes
        for b in blocks:
            size += (b.data.nbytes + b.indices.nbytes + b.indptr.nbytes) if sp.issparse(b) else b.nbytes
        return int(size)

    def __sizeof__(self) -> int:  # what Dask's memory accounting sees
        return self.nbytes()


def partition_stats(source: Any, low: int, high: int, kind: str, fields: list[str], featurizer: Any) -> Any:
    """The featurizer's fitting statistics of one partition (:meth:`Featurizer.partition_stats`)."""
    _, _, raw = read_items(source, low, high, kind, fields, featurizer)
    return featurizer.partition_stats(raw)


def merge_stats(featurizer: Any, *stats: Any) -> Any:
    """Several partitions' statistics merged into one."""
    merged = stats[0]
    for more in stats[1:]:
        merged = featurizer.merge_stats(merged, more)
    return merged


def build_part(source: Any, low: int, high: int, kind: str, fields: list[str], featurizer: Any) -> Part:
    """A partition's feature rows, by the featurizer fitted on the whole pool."""
    # The embedder's tokenizer starts threads of its own in every worker process; with several
    # workers per host they fight over the cores (two workers embedding at once: 5.0 s each
    # against 2.4-3.0 s without them, measured by bench/bench_dask.py's author).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    rowids, is_eval, raw = read_items(source, low, high, kind, fields, featurizer)
    if not len(rowids):
        return Part(rowids, is_eval, None)
    return Part(rowids, is_eval, featurizer.transform_matrix(raw))


def take_rows(part: Part, wanted: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """The partition's rows of the sorted row ids ``wanted`` that it holds: ``(rowids, blocks)``."""
    if part.X is None:
        return np.empty(0, np.int64), []
    positions = np.flatnonzero(np.isin(part.rowids, wanted, assume_unique=True))
    rows = part.X[positions]
    return part.rowids[positions], list(getattr(rows, "blocks", [rows]))


@dataclass
class Top:
    """A partition's share of a ranking: its most uncertain candidates (``rowids``, ``scores``
    and the model's ``probs`` of them, most uncertain first) and a random ``sample`` of its
    candidates (row ids), plus how many candidates it had."""

    rowids: np.ndarray
    scores: np.ndarray
    probs: np.ndarray
    sample: np.ndarray
    n_candidates: int


def score_part(part: Part, model: Any, method: str, k: int, excluded: np.ndarray,
               sample_share: float, seed: Any) -> Top:
    """Score a partition's candidates (not in the evaluation sample, not in the sorted row ids
    ``excluded``) by ``method`` and keep the top ``k``; draw a ``sample_share`` of them at
    random with a generator seeded by ``seed`` (no model: only the sample)."""
    from hilt.sampling import top_k
    from hilt.strategies.base import PREDICT_CHUNK, uncertainty_scorer

    n_labels = len(model.labels) if model is not None else 0
    if part.X is None:
        return Top(np.empty(0, np.int64), np.empty(0), np.empty((0, n_labels)), np.empty(0, np.int64), 0)
    keep = ~part.is_eval & ~np.isin(part.rowids, excluded, assume_unique=True)
    candidates = np.flatnonzero(keep)
    rng = np.random.default_rng(seed)
    sample = part.rowids[candidates[rng.random(candidates.size) < sample_share]] if sample_share > 0 else np.empty(0, np.int64)
    if model is None or k == 0:
        return Top(np.empty(0, np.int64), np.empty(0), np.empty((0, n_labels)), sample, int(candidates.size))
    # As QueryContext.scores does it: chunk by chunk, so one chunk's probabilities at a time (a
    # multi-label model's per-label probabilities scored per label, as the strategies do).
    score = uncertainty_scorer(method, bool(getattr(model, "multilabel", False)))
    scores = np.concatenate([score(model.predict_proba(part.X[candidates[lo:lo + PREDICT_CHUNK]]))
                             for lo in range(0, candidates.size, PREDICT_CHUNK)] or [np.empty(0)])
    best = candidates[top_k(scores, k)]
    probs = model.predict_proba(part.X[best]) if best.size else np.empty((0, n_labels))
    order_scores = scores[np.searchsorted(candidates, best)]
    return Top(part.rowids[best], order_scores, np.asarray(probs), sample, int(candidates.size))


def combine_tops(k: int, *tops: Top) -> Top:
    """Several partitions' tops as one (their top ``k`` by :func:`merge_tops`, all their samples):
    merged on the cluster in a tree, so the project's process receives a single small result
    however many partitions there are."""
    rowids, scores, probs = merge_tops(list(tops), k)
    if not rowids.size:
        probs = next((t.probs[:0] for t in tops if t.probs.ndim == 2), np.empty((0, 0)))
    return Top(rowids, scores, probs, np.concatenate([t.sample for t in tops] or [np.empty(0, np.int64)]),
               sum(t.n_candidates for t in tops))


def merge_tops(tops: list[Top], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pool's top ``k`` from the partitions' tops: ``(rowids, scores, probs)``, highest
    score first, equal scores by lower row id (as :func:`hilt.sampling.top_k` breaks ties by
    lower position, and positions follow row ids). Exact: an item among the pool's top ``k``
    is among its partition's top ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.cluster.partitions import Top, merge_tops
    >>> a = Top(np.array([3, 1]), np.array([0.9, 0.5]), np.zeros((2, 2)), np.empty(0, int), 2)
    >>> b = Top(np.array([2, 7]), np.array([0.9, 0.6]), np.zeros((2, 2)), np.empty(0, int), 2)
    >>> merge_tops([a, b], 3)[0].tolist()
    [2, 3, 7]
    """
    tops = [t for t in tops if t.rowids.size]
    if not tops:
        return np.empty(0, np.int64), np.empty(0), np.empty((0, 0))
    rowids = np.concatenate([t.rowids for t in tops])
    scores = np.concatenate([t.scores for t in tops])
    probs = np.concatenate([t.probs for t in tops])
    order = np.lexsort((rowids, -scores))[:k]
    return rowids[order], scores[order], probs[order]
