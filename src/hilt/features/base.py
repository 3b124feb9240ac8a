"""What every featurizer is: items in, one matrix row per item out, and a name for the cache.

A featurizer is unsupervised (it never sees labels), so a project fits it once on the whole
pool and caches the matrix; only the classifier is refitted as labels come in. Because the
cache is reused across sessions, a featurizer names itself completely in :meth:`Featurizer.spec`
(its name, its parameters and the version of the library that does the work): a project whose
featurizer changed builds its features again instead of reading a matrix made another way.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from hilt.errors import InputError

__all__ = ["Featurizer", "Progress", "as_float32", "check_rows"]

#: ``progress(done, total)``: called as a long build advances (items done of all).
Progress = Callable[[int, int], None]


class Featurizer(BaseEstimator, TransformerMixin):
    """Base class: subclasses set :attr:`name`, :attr:`kinds` and implement :meth:`_fit_blocks`.

    A featurizer's output is one or more *blocks* (a sparse or dense matrix each, one row per
    item) that :meth:`join` puts side by side. The cache keeps the blocks apart, so that a
    dense block of embeddings is stored as a plain float32 array (4 bytes a value) rather than
    as part of a sparse matrix (8 bytes a value, with its column index).
    """

    #: The registry name (``tfidf``, ``embeddings``, ``tfidf+embeddings``, ``scale`` …).
    name: str = ""
    #: Item kinds it accepts: ``"text"`` (a string per item), ``"table"`` (numeric rows).
    kinds: tuple[str, ...] = ()
    #: The regularisation strength (scikit-learn's ``C``) of the default logistic regression on
    #: these features, measured per featurizer (see the docs' benchmarks, features).
    classifier_C: float = 1.0
    #: How rows of items added after the fit are made (:class:`hilt.project.features.FeatureCache`):
    #: ``"per_item"``: a row depends on its item alone (embeddings), so new rows are exactly what a
    #: fit on the whole pool gives and are only appended; ``"kept"``: new items are transformed
    #: with what the fit learnt (TF-IDF's vocabulary and weights, the scaler's means) until a
    #: retrain refits it (:data:`hilt.project.features.REFIT_SHARE`); ``None``: every import
    #: rebuilds all rows (a user's transformer: nothing says its transform suits new items).
    incremental: str | None = None

    #: Whether :meth:`items_from_rows` needs each item's id (vectors read from a file by id).
    needs_ids: bool = False

    def item_fields(self, kind: str, feature_columns: Sequence[str]) -> list[str]:
        """The fields of an item's data the featurizer reads: the text (``"text"``) of text
        items, the ``feature_columns`` of table rows; a featurizer of the items' own vectors
        reads their column instead. Every reader of a project's items (the feature cache, a Dask
        partition, a model export) asks this, so the rule is written once."""
        return ["text"] if kind == "text" else list(feature_columns)

    def items_from_rows(self, rows: Sequence[tuple], kind: str, feature_columns: Sequence[str],
                        ids: Sequence[str] | None = None) -> Any:
        """The items as :meth:`fit_blocks` takes them, from ``rows`` of :meth:`item_fields`
        values (``ids``: the items' ids, given when :attr:`needs_ids`): a list of strings for
        text (a missing text is ``""``), a float64 array for table rows.

        Examples
        --------
        >>> from hilt.features import ScaleFeatures
        >>> ScaleFeatures().items_from_rows([(1, 2.5)], "table", ["a", "b"]).tolist()
        [[1.0, 2.5]]
        """
        if kind == "text":
            return ["" if r[0] is None else str(r[0]) for r in rows]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(feature_columns))

    def params(self) -> dict:
        """The parameters that change the matrix (JSON-able)."""
        return {}

    def version(self) -> str:
        """The version of the library that computes the features."""
        import sklearn

        return f"scikit-learn {sklearn.__version__}"

    def spec(self) -> dict:
        """``{"name", "params", "version"}``: what the project records and the cache is keyed by."""
        return {"name": self.name, "params": self.params(), "version": self.version()}

    def fit_blocks(self, items: Any, *, progress: Progress | None = None,
                   cancelled: Callable[[], bool] = lambda: False) -> list[Any]:
        """Fit on ``items`` and return their blocks (float32, one row per item).

        ``progress`` is told how far a long build got; ``cancelled`` is asked between chunks and
        a ``True`` stops the build with :class:`InterruptedError`.
        """
        blocks = self._fit_blocks(items, progress, cancelled)
        return [check_rows(block, _count(items), self.name) for block in blocks]

    def fit_matrix(self, items: Any, *, progress: Progress | None = None,
                   cancelled: Callable[[], bool] = lambda: False) -> Any:
        """Fit on ``items`` and return their features as hilt keeps them (:meth:`join` of the
        blocks: a matrix, or :class:`~hilt.features.blocks.FeatureBlocks` for several)."""
        return self.join(self.fit_blocks(items, progress=progress, cancelled=cancelled))

    def transform_matrix(self, items: Any) -> Any:
        """Features of new ``items`` with what was learnt, as :meth:`fit_matrix` gives them."""
        return self.join(self.transform_blocks(items))

    def transform_blocks(self, items: Any) -> list[Any]:
        """The blocks of new ``items`` with what was learnt (float32, one row per item): what a
        project's feature cache appends for items imported after the fit."""
        return [check_rows(b, _count(items), self.name) for b in self._transform_blocks(items)]

    def refit_blocks(self, items: Any, kept: Sequence[Any], *, progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False) -> list[Any]:
        """Fit again on ``items`` (the whole pool), given ``kept``: the blocks of its first rows
        from the previous fit. The same as :meth:`fit_blocks`; a featurizer with blocks that
        depend on each item alone (embeddings beside TF-IDF) keeps those rows instead of
        computing them again."""
        return self.fit_blocks(items, progress=progress, cancelled=cancelled)

    def fit_transform(self, items: Any, y: Any = None) -> Any:
        """scikit-learn's protocol: :meth:`fit_matrix` as one matrix (blocks joined into CSR),
        so that a featurizer can be the first step of a pipeline. ``y`` is ignored."""
        return _one_matrix(self.fit_matrix(items))

    def fit(self, items: Any, y: Any = None) -> "Featurizer":
        """Fit on ``items`` (scikit-learn's protocol)."""
        self.fit_blocks(items)
        return self

    def transform(self, items: Any) -> Any:
        """scikit-learn's protocol: :meth:`transform_matrix` as one matrix."""
        return _one_matrix(self.transform_matrix(items))

    @staticmethod
    def join(blocks: Sequence[Any]) -> Any:
        """One matrix from the blocks: the block itself, or a
        :class:`~hilt.features.blocks.FeatureBlocks` that keeps them apart and joins rows on demand."""
        if len(blocks) == 1:
            return blocks[0]
        from hilt.features.blocks import FeatureBlocks

        return FeatureBlocks(blocks)

    # -- fitting on a cluster (hilt.cluster): statistics per partition, merged, then fitted ----
    #: Whether :meth:`partition_stats`, :meth:`merge_stats` and :meth:`fit_stats` are written:
    #: the featurizer can then be fitted on a Dask cluster's partitions of the pool, giving the
    #: same fitted state as :meth:`fit_blocks` on the whole pool at once.
    distributable: bool = False

    def partition_stats(self, items: Any) -> Any:
        """What fitting needs to know of one partition of the pool (e.g. word counts)."""
        raise NotImplementedError(f"featurizer {self.name!r} cannot be fitted partition by partition")

    def merge_stats(self, a: Any, b: Any) -> Any:
        """The statistics of two partitions together (associative: merged in any tree)."""
        raise NotImplementedError(f"featurizer {self.name!r} cannot be fitted partition by partition")

    def fit_stats(self, stats: Any) -> "Featurizer":
        """Fit from the whole pool's merged statistics, as :meth:`fit_blocks` would have; then
        :meth:`transform_matrix` turns any partition into its rows of the pool's matrix."""
        raise NotImplementedError(f"featurizer {self.name!r} cannot be fitted partition by partition")

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        raise NotImplementedError

    def _transform_blocks(self, items: Any) -> list[Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<featurizer {self.name} {self.params()}>"


def as_float32(X: Any) -> Any:
    """A CSR float32 matrix for sparse input, a C-ordered float32 array otherwise."""
    if sp.issparse(X):
        return X.tocsr().astype(np.float32, copy=False)
    return np.ascontiguousarray(X, dtype=np.float32)


def check_rows(X: Any, n_items: int, name: str) -> Any:
    """``X`` as float32 after checking it is 2-D with one finite row per item, else :class:`InputError`."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        raise InputError(
            f"Expected featurizer {name!r} to return a 2D matrix with one row per item; got "
            f"{type(X).__name__}{'' if shape is None else f' of shape {shape}'}."
        )
    if shape[0] != n_items:
        raise InputError(
            f"Expected featurizer {name!r} to return one row per item ({n_items} rows); got {shape[0]} rows."
        )
    try:
        X = as_float32(X)
    except (TypeError, ValueError) as error:
        raise InputError(f"Expected featurizer {name!r} to return numbers; got {error}.") from None
    if sp.issparse(X):
        if not np.isfinite(X.data).all():
            raise InputError(f"Expected featurizer {name!r} to return finite numbers; got NaN or infinity.")
    elif not (finite := np.isfinite(X).all(axis=1)).all():
        raise InputError(
            f"Expected featurizer {name!r} to return finite numbers; got NaN or infinity "
            f"(first in row {int(np.flatnonzero(~finite)[0])})."
        )
    return X


def _one_matrix(X: Any) -> Any:
    from hilt.features.blocks import FeatureBlocks

    return X.tocsr() if isinstance(X, FeatureBlocks) else X


def _count(items: Any) -> int:
    return int(items.shape[0]) if hasattr(items, "shape") else len(items)
