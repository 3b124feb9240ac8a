"""Feature blocks side by side, without ever building the whole joined matrix.

``tfidf+embeddings`` gives two blocks: a sparse TF-IDF matrix and a dense float32 array of
embeddings. Joined into one CSR matrix, each embedding value would cost 8 bytes (value and
column index) instead of 4, and converting a million dense rows to CSR takes half a minute
(a million texts: 2.2 GB joined against 1.2 GB apart, and 38 s to join on every load,
``make bench-features-speed``). :class:`FeatureBlocks` keeps the blocks apart: ``X[rows]``
selects rows of every block, ``X @ W`` sums the blocks' own products (a linear model's scores
without joining anything), and :meth:`FeatureBlocks.tocsr` joins rows only where a consumer
needs one matrix (a fit on the labelled rows, a user's model over a chunk of the pool).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["FeatureBlocks", "hstack_rows", "CHUNK"]

#: Rows joined at a time by :meth:`FeatureBlocks.tocsr` and by a model's prediction over blocks.
CHUNK = 65_536


def hstack_rows(blocks: Sequence[Any]) -> sp.csr_matrix:
    """One float32 CSR matrix of ``blocks`` (sparse or dense, same row count) side by side.

    Written over numpy rather than with ``scipy.sparse.hstack``, which goes through COO and
    converts a dense block element by element (about 20 times slower on embeddings).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from hilt.features.blocks import hstack_rows
    >>> hstack_rows([sp.csr_matrix([[0, 1], [2, 0]]), np.array([[5.0], [6.0]])]).toarray().tolist()
    [[0.0, 1.0, 5.0], [2.0, 0.0, 6.0]]
    """
    n = blocks[0].shape[0]
    sparse = [sp.csr_matrix(b) if sp.issparse(b) else None for b in blocks]
    counts = np.column_stack([
        np.diff(s.indptr) if s is not None else np.full(n, b.shape[1]) for s, b in zip(sparse, blocks)
    ]).astype(np.int64) if n else np.zeros((0, len(blocks)), dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=1), out=indptr[1:])
    total = int(indptr[-1])
    data = np.empty(total, dtype=np.float32)
    indices = np.empty(total, dtype=np.int32)
    # Which block each stored value comes from: row by row, block after block.
    owner = np.repeat(np.tile(np.arange(len(blocks), dtype=np.uint8), n), counts.ravel())
    offset = 0
    for j, (s, b) in enumerate(zip(sparse, blocks)):
        slots = owner == j
        width = b.shape[1]
        if s is not None:
            s.sort_indices()
            data[slots] = s.data
            indices[slots] = s.indices + offset
        else:
            data[slots] = np.asarray(b, dtype=np.float32).ravel()
            indices[slots] = np.tile(np.arange(offset, offset + width, dtype=np.int32), n)
        offset += width
    if offset > np.iinfo(np.int32).max:
        raise ValueError(f"Expected fewer than 2**31 feature columns, got {offset}.")
    return sp.csr_matrix((data, indices, indptr.astype(np.int32) if total < 2**31 else indptr), shape=(n, offset))


class FeatureBlocks:
    """A feature matrix kept as blocks (sparse or dense, one row per item) side by side.

    It answers what a project's consumers ask of a feature matrix: ``shape``, ``X[rows]``
    (rows by an index array, a boolean mask or a slice: the same rows of every block, still
    apart), ``X @ W`` (the blocks' products summed), and :meth:`tocsr` for one joined CSR
    matrix. :class:`hilt.models.AlignedModel` fits on the joined labelled rows and scores the
    pool through ``X @ coef`` for a logistic regression, a joined chunk at a time for others.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from hilt.features.blocks import FeatureBlocks
    >>> X = FeatureBlocks([sp.csr_matrix(np.eye(3)), np.arange(6.0).reshape(3, 2)])
    >>> X.shape
    (3, 5)
    >>> X[[2, 0]].toarray().tolist()
    [[0.0, 0.0, 1.0, 4.0, 5.0], [1.0, 0.0, 0.0, 0.0, 1.0]]
    >>> (X @ np.ones((5, 1))).ravel().tolist()
    [2.0, 6.0, 10.0]
    """

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, blocks: Sequence[Any]):
        blocks = list(blocks)
        rows = {b.shape[0] for b in blocks}
        if not blocks or len(rows) != 1:
            raise ValueError(f"Expected blocks with one common row count; got {sorted(rows)}.")
        self.blocks = blocks
        self.shape = (rows.pop(), int(sum(b.shape[1] for b in blocks)))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> "FeatureBlocks":
        if isinstance(rows, tuple):
            raise TypeError("FeatureBlocks selects rows only: X[rows], not X[rows, columns].")
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        if isinstance(rows, list):
            rows = np.asarray(rows, dtype=np.int64)
        return FeatureBlocks([b[rows] for b in self.blocks])

    def __matmul__(self, weights: Any) -> np.ndarray:
        """``X @ weights`` for a dense ``(n_features, k)`` or ``(n_features,)`` array."""
        weights = np.asarray(weights)
        total: Any = 0
        start = 0
        for block in self.blocks:
            part = weights[start:start + block.shape[1]]
            # In the block's own precision: float64 weights would make numpy copy a float32
            # block to float64 first (a million embedding rows: 2 GB, most of a rescore's time).
            product = block @ part.astype(block.dtype, copy=False)
            total = total + np.asarray(product, dtype=np.float64)
            start += block.shape[1]
        return np.asarray(total)

    def tocsr(self) -> sp.csr_matrix:
        """One joined CSR matrix (its values take twice the memory of a dense block's)."""
        if self.shape[0] <= CHUNK:
            return hstack_rows(self.blocks)
        return sp.vstack([self[lo:lo + CHUNK].tocsr() for lo in range(0, self.shape[0], CHUNK)], format="csr")

    def toarray(self) -> np.ndarray:
        """The whole matrix as a dense array (for small pools and tests)."""
        return self.tocsr().toarray()

    @property
    def nbytes(self) -> int:
        """Bytes held by the blocks."""
        return int(sum(b.data.nbytes + b.indices.nbytes + b.indptr.nbytes if sp.issparse(b) else b.nbytes
                       for b in self.blocks))

    def __repr__(self) -> str:
        kinds = ", ".join(f"{'sparse' if sp.issparse(b) else 'dense'} {b.shape[1]}" for b in self.blocks)
        return f"<FeatureBlocks {self.shape[0]} rows: {kinds} columns>"
