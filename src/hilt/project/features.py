"""The feature matrix of a project's items, computed once and cached in the project's cache folder.

The project's featurizer (one of :mod:`hilt.features`: TF-IDF, sentence embeddings, both,
scaling for tables, or a user's transformer) is unsupervised, so it is fitted once on the whole
pool; every retrain then only refits the classifier and every rescore is a matrix product over
the cached rows. The cache lives in the project's cache folder (:func:`cache_folder`: ``<project>.d/``
beside a project file, a folder of this host's own for a database): one file per block of the featurizer's
output (``features-0.npz`` for a sparse block, ``features-1.npy`` for a dense one, so that
embeddings take 4 bytes a value), ``index.npz`` with the item row ids, and ``features.json``
with the key, written last, and ``fitted.pkl``, the featurizer as fitted. The key names the item
set (the store's item-set version) and the featurizer (:meth:`hilt.features.Featurizer.spec`:
name, parameters, library version). After an import only the new items are featurized and their
rows appended (embeddings exactly; TF-IDF and scaling with the fitted vocabulary and weights,
until a retrain finds the pool grown by :data:`REFIT_SHARE` and fits again); the cache is
rebuilt when it is missing, when the featurizer changed, or for a user's transformer.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from hilt.features import Featurizer, get_featurizer
from hilt.features.base import Progress
from hilt.store import Store
from hilt.store.location import ProjectLocation

__all__ = ["FeatureCache", "REFIT_SHARE", "cache_folder", "refit_due"]

#: Bump when the featurizer or the cache layout changes, so old caches are rebuilt.
_CACHE_FORMAT = 4


def cache_folder(project_path: ProjectLocation | Path | str) -> Path:
    """The folder that holds a project's rebuildable files
    (:attr:`hilt.store.location.ProjectLocation.cache_folder`): ``reviews.hilt.d`` beside a
    project file; for a project in a PostgreSQL database, a folder of this host's own under
    ``$HILT_CACHE_DIR`` (default ``~/.cache/hilt``) named after the database.

    Examples
    --------
    >>> cache_folder(Path("/data/reviews.hilt"))
    PosixPath('/data/reviews.hilt.d')
    >>> cache_folder("postgresql://ana:pw@db.example:5433/labels").name
    'db.example-5433-labels'
    """
    return ProjectLocation.of(project_path).cache_folder


#: A retrain fits a ``"kept"`` featurizer (TF-IDF, scaling) again once the items added since its
#: fit number at least this share of the items it was fitted on (by row id). Until then the
#: new items are transformed with the fitted vocabulary and weights: a quarter more items of
#: the same kind hardly move the IDF weights, and the import's first retrain stays quick.
REFIT_SHARE = 0.25


def refit_due(fitted_top: int, top: int) -> bool:
    """Whether a ``"kept"`` featurizer fitted on the items up to row id ``fitted_top`` is fitted
    again for the items up to ``top`` (:data:`REFIT_SHARE`; both feature backends use this).

    Examples
    --------
    >>> from hilt.project.features import refit_due
    >>> refit_due(100_000, 110_000), refit_due(100_000, 125_000), refit_due(0, 5)
    (False, True, True)
    """
    return top > fitted_top and (fitted_top <= 0 or top - fitted_top >= REFIT_SHARE * fitted_top)


class _State:
    """What the cache holds: the blocks (one row per item), the item index, the featurizer as
    fitted (``None`` until needed, when read from disk) and the highest row id it was fitted on."""

    def __init__(self, base: str, top: int, blocks: list[Any], rowids: np.ndarray, is_eval: np.ndarray,
                 fitted: Any, fitted_top: int, join: Callable[[list[Any]], Any]):
        self.base, self.top, self.blocks = base, int(top), blocks
        self.rowids, self.is_eval = rowids, is_eval
        self.fitted, self.fitted_top = fitted, int(fitted_top)
        self.X = join(blocks)

    @property
    def result(self) -> tuple[Any, np.ndarray, np.ndarray]:
        return self.X, self.rowids, self.is_eval


class FeatureCache:
    """Features of every item, in row-id order, kept in memory and on disk.

    The cache is named by the store's item-set version (the project's uid and its highest
    item row id; items are only ever appended), so checking that it is current costs one
    index look-up, not a read of every item. The item index (row ids and the evaluation
    flags) is cached with the features for the same reason.

    After an import only the new items are featurized, where the featurizer allows it
    (:attr:`hilt.features.Featurizer.incremental`): embeddings are per item, so their rows are
    appended as they are; TF-IDF and scaling transform the new items with what their fit
    learnt, until a retrain (``get(..., refit=True)``) finds the pool grown by
    :data:`REFIT_SHARE` since the fit and fits again. A user's transformer is rebuilt.

    Parameters
    ----------
    folder : pathlib.Path
        Where the cache files go (created when first written).
    kind : {"text", "table"}
    feature_columns : list of str
        The numeric columns of table items (ignored for text, which reads ``data["text"]``).
    featurizer : hilt.features.Featurizer, optional
        What turns items into rows; default :data:`hilt.features.DEFAULT_FEATURES` for ``kind``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hilt.store import Store
    >>> from hilt.project.features import FeatureCache, cache_folder
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
    >>> store = Store.create(path, {"labels": ["a", "b"], "kind": "text"})
    >>> store.add_items(["x", "y"], [{"text": "good film"}, {"text": "bad film"}], eval_share=0.0)
    {'added': 2, 'duplicates': 0, 'labelled': 0}
    >>> cache = FeatureCache(cache_folder(path), "text", [], "tfidf")
    >>> X, rowids, is_eval = cache.get(store)
    >>> X.shape[0], rowids.tolist(), cache.last_source
    (2, [1, 2], 'built')
    >>> FeatureCache(cache_folder(path), "text", [], "tfidf").get(store)[0].shape[0]  # read back from disk
    2
    >>> store.add_items(["z"], [{"text": "a good plot"}], eval_share=0.0)["added"]
    1
    >>> X, rowids, _ = cache.get(store)  # the new item transformed with the fitted vocabulary
    >>> X.shape, rowids.tolist(), cache.last_source, cache.last_transformed
    ((3, 3), [1, 2, 3], 'extended', 1)
    >>> store.close()
    """

    def __init__(self, folder: Path, kind: str, feature_columns: list[str], featurizer: Any = None):
        self.folder = Path(folder)
        self.kind = kind
        self.feature_columns = list(feature_columns)
        self.featurizer: Featurizer = get_featurizer(featurizer, kind)
        self._lock = threading.Lock()
        self._key: str | None = None
        self._state: _State | None = None
        self._texts: tuple[str | None, np.ndarray] | None = None
        #: What the last :meth:`get` did: "memory", "disk", "extended" (the items added since
        #: were featurized and appended) or "built" (fitted on the whole pool: the first time,
        #: or again on a grown pool, see :data:`REFIT_SHARE`).
        self.last_source: str | None = None
        #: How many items the last :meth:`get` featurized (0 when it found them all cached).
        self.last_transformed = 0

    @property
    def _cached(self) -> tuple[Any, np.ndarray, np.ndarray] | None:
        return None if self._state is None else self._state.result

    def get(self, store: Store, cancelled: Callable[[], bool] = lambda: False,
            progress: Progress | None = None, *, refit: bool = False) -> tuple[Any, np.ndarray, np.ndarray]:
        """``(X, rowids, is_eval)``: one feature row per item, in row-id order.

        Items added since the cached rows were made are featurized and appended (see the class
        description); ``refit=True`` (what a retrain asks) fits a ``"kept"`` featurizer again
        when :func:`refit_due`. A build reports ``progress(done, total)`` as it goes (embedding
        is done in chunks) and stops with :class:`InterruptedError` when ``cancelled()`` turns
        true."""
        uid, top = store.item_set_version()
        base = self._base_for(uid)
        key = _versioned(base, top)
        with self._lock:
            self.last_transformed = 0
            state = self._state if self._key == key else self._load(key)
            source = "memory" if state is self._state else "disk"
            if state is not None and refit and self._refits(state.fitted_top, top):
                state, source = self._refit(store, base, top, state, cancelled, progress), "built"
            elif state is None:
                previous = self._previous(base, top)
                if previous is not None and previous.top < top and self._extends(previous, top, refit):
                    state, source = self._extend(store, previous, top, cancelled), "extended"
                elif previous is not None and previous.top < top and self.featurizer.incremental == "kept":
                    state, source = self._refit(store, base, top, previous, cancelled, progress), "built"
                else:
                    state, source = self._build(store, base, top, cancelled, progress), "built"
            self._state, self._key, self.last_source = state, key, source
            return state.result

    def _previous(self, base: str, top: int) -> _State | None:
        """The latest rows of the same featurizer and project to extend: this process's, or
        the disk's when another process (the retrain process, ``hilt import``) got further."""
        mine = self._state if self._state is not None and self._state.base == base else None
        try:
            written = json.loads(self._paths()[1].read_text())
            further = written.get("base") == base and (mine is None or mine.top < int(written["top"]) <= top)
        except (OSError, ValueError, KeyError, TypeError):
            further = False
        return (self._load(None, base) or mine) if further else mine

    def _refits(self, fitted_top: int, top: int) -> bool:
        return self.featurizer.incremental == "kept" and refit_due(fitted_top, top)

    def _extends(self, previous: _State, top: int, refit: bool) -> bool:
        how = self.featurizer.incremental
        if how == "per_item":
            return True
        return how == "kept" and previous.fitted_top > 0 and not (refit and refit_due(previous.fitted_top, top))

    # -- making rows ---------------------------------------------------------------------------
    def _fields(self) -> list[str]:
        return self.featurizer.item_fields(self.kind, self.feature_columns)

    def _raw(self, store: Store, rows: list[tuple], rowids: np.ndarray) -> Any:
        ids = None
        if self.featurizer.needs_ids:  # vectors from a file, aligned by item id
            keys = store.item_keys()
            ids = [keys[int(r)] for r in rowids]
        return self.featurizer.items_from_rows(rows, self.kind, self.feature_columns, ids)

    def _read_all(self, store: Store, top: int, cancelled: Callable[[], bool]) -> tuple[np.ndarray, np.ndarray, Any]:
        rowids, is_eval = store.item_index()
        keep = rowids <= top  # items added since the version was read wait for the next run
        rowids, is_eval = rowids[keep], is_eval[keep]
        values: list[Any] = []
        ids: list[int] = []
        for batch_ids, rows in store.iter_item_fields(self._fields()):
            if cancelled():
                raise InterruptedError("feature build cancelled")
            values.extend(rows)
            ids.extend(batch_ids)
        n = len(rowids)
        if len(ids) < n or not np.array_equal(np.asarray(ids[:n], dtype=np.int64), rowids):
            raise InterruptedError("items changed while features were built")  # try again later
        return rowids, is_eval, self._raw(store, values[:n], rowids)

    def _build(self, store: Store, base: str, top: int, cancelled: Callable[[], bool],
               progress: Progress | None) -> _State:
        rowids, is_eval, raw = self._read_all(store, top, cancelled)
        blocks = self.featurizer.fit_blocks(raw, progress=progress, cancelled=cancelled)
        self.last_transformed = len(rowids)
        state = _State(base, top, blocks, rowids, is_eval, self.featurizer, top, self.featurizer.join)
        self._save(state, fitted=True)
        return state

    def _refit(self, store: Store, base: str, top: int, previous: _State, cancelled: Callable[[], bool],
               progress: Progress | None) -> _State:
        """Fit again on every item, keeping what :meth:`Featurizer.refit_blocks` can of the old rows."""
        rowids, is_eval, raw = self._read_all(store, top, cancelled)
        n_kept = int(np.searchsorted(rowids, previous.top, side="right"))
        kept = [b[:n_kept] for b in previous.blocks] if np.array_equal(rowids[:n_kept], previous.rowids) else []
        blocks = self.featurizer.refit_blocks(raw, kept, progress=progress, cancelled=cancelled)
        self.last_transformed = len(rowids)
        state = _State(base, top, blocks, rowids, is_eval, self.featurizer, top, self.featurizer.join)
        self._save(state, fitted=True)
        return state

    def _extend(self, store: Store, previous: _State, top: int, cancelled: Callable[[], bool]) -> _State:
        """The cached rows plus those of the items after ``previous.top``, by the fitted featurizer."""
        fitted = previous.fitted if previous.fitted is not None else self._load_fitted()
        if fitted is None:  # the fitted state is gone (an older cache): all rows again
            return self._build(store, previous.base, top, cancelled, None)
        if cancelled():
            raise InterruptedError("feature build cancelled")
        rowids, is_eval = store.item_index()
        keep = rowids <= top
        rowids, is_eval = rowids[keep], is_eval[keep]
        n_old = len(previous.rowids)
        if not np.array_equal(rowids[:n_old], previous.rowids):
            # An item below the cached top committed after the rows were made (imports running
            # side by side on PostgreSQL): appending would miss it for good.
            return self._build(store, previous.base, top, cancelled, None)
        new_ids, new_eval, rows = store.item_fields_between(self._fields(), previous.top + 1, top)
        if not np.array_equal(new_ids, rowids[n_old:]):
            raise InterruptedError("items changed while features were built")  # try again later
        new = fitted.transform_blocks(self._raw(store, rows, new_ids))
        blocks = [sp.vstack([old, add], format="csr") if sp.issparse(old) else np.concatenate([old, add])
                  for old, add in zip(previous.blocks, new)]
        self.last_transformed = len(new_ids)
        state = _State(previous.base, top, blocks, np.concatenate([previous.rowids, new_ids]),
                       np.concatenate([previous.is_eval, new_eval]), fitted, previous.fitted_top,
                       self.featurizer.join)
        self._save(state, fitted=False)
        return state

    def texts(self, store: Store) -> np.ndarray:
        """The items' texts (a 1-D object array), one per row of the last :meth:`get`, in the
        same order: what a model that reads texts itself is fitted on (a spans project's
        sequence model), beside the features its strategies compare items on. Kept in memory
        until the rows change.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from hilt.store import Store
        >>> from hilt.project.features import FeatureCache, cache_folder
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
        >>> store = Store.create(path, {"labels": ["a", "b"], "kind": "text"})
        >>> store.add_items(["x", "y"], [{"text": "good film"}, {"text": "bad film"}], eval_share=0.0)["added"]
        2
        >>> cache = FeatureCache(cache_folder(path), "text", [], "tfidf")
        >>> _ = cache.get(store)
        >>> cache.texts(store).tolist()
        ['good film', 'bad film']
        >>> store.close()
        """
        with self._lock:
            if self._state is None:
                raise RuntimeError("FeatureCache.texts() needs the rows: call get() first")
            key, rowids = self._key, self._state.rowids
            if self._texts is not None and self._texts[0] == key:
                return self._texts[1]
        texts = np.empty(len(rowids), dtype=object)
        found = np.zeros(len(rowids), dtype=bool)
        for ids, rows in store.iter_item_fields(["text"]):
            pos = np.searchsorted(rowids, np.asarray(ids, dtype=np.int64))
            for p, i, row in zip(pos, ids, rows):
                if p < len(rowids) and rowids[p] == i:
                    texts[p] = "" if row[0] is None else str(row[0])
                    found[p] = True
        if not found.all():
            raise InterruptedError("items changed while their texts were read")  # try again later
        with self._lock:
            self._texts = (key, texts)
        return texts

    def dense_view(self) -> np.ndarray | None:
        """The diversity strategies' dense view of the cached features
        (:func:`hilt.strategies.geometry.dense_view`), kept on disk beside them (``view.npy``),
        so that a server's restart or the retrain process does not compute it again. ``None``
        before :meth:`get` has loaded the features."""
        from hilt.strategies.geometry import dense_view, known_view, use_view

        with self._lock:
            if self._cached is None or self._key is None:
                return None
            X, key = self._cached[0], self._key
            if (known := known_view(X)) is not None:
                return known
            path, key_path = self.folder / "view.npy", self.folder / "view.json"
            try:
                if json.loads(key_path.read_text())["key"] == key:
                    view = np.load(path)
                    if view.shape[0] == X.shape[0]:
                        return use_view(X, view)
            except (OSError, ValueError, KeyError):
                pass
            view = dense_view(X)
            try:
                key_path.unlink(missing_ok=True)
                tmp = path.with_name(f".{os.getpid()}.{path.name}")
                with open(tmp, "wb") as out:
                    np.save(out, view)
                os.replace(tmp, path)
                tmp_key = key_path.with_name(f".{os.getpid()}.{key_path.name}")
                tmp_key.write_text(json.dumps({"key": key}))
                os.replace(tmp_key, key_path)
            except OSError:  # a read-only folder only costs a rebuild next time
                pass
            return view

    def _base_for(self, uid: str) -> str:
        """The key of everything but the item count: rows under the same base can be extended."""
        spec = self.featurizer.spec()
        digest = hashlib.sha256(json.dumps([_CACHE_FORMAT, uid, self.kind, self.feature_columns, spec],
                                           sort_keys=True).encode())
        return digest.hexdigest()

    def _paths(self) -> tuple[Path, Path]:
        return self.folder / "index.npz", self.folder / "features.json"

    def _load(self, key: str | None, base: str | None = None) -> _State | None:
        """The state on disk if its key is ``key`` (or, with ``key=None``, its base is ``base``)."""
        index_path, key_path = self._paths()
        try:
            written = json.loads(key_path.read_text())
            if (written["key"] != key) if key is not None else (written.get("base") != base):
                return None
            blocks = [sp.load_npz(self.folder / name).tocsr() if name.endswith(".npz") else np.load(self.folder / name)
                      for name in written["blocks"]]
            with np.load(index_path) as index:
                rowids, is_eval = index["rowids"], index["is_eval"]
            if any(b.shape[0] != len(rowids) for b in blocks) or len(is_eval) != len(rowids):
                return None
            if written.get("n_items", len(rowids)) != len(rowids):
                return None
            return _State(written["base"], written["top"], blocks, rowids, is_eval, None,
                          written["fitted_top"], self.featurizer.join)
        except (OSError, ValueError, KeyError, TypeError):  # missing, half-written or foreign: rebuild
            return None

    def _load_fitted(self) -> Featurizer | None:
        """The featurizer as the cached rows were fitted (``fitted.pkl``), or ``None``."""
        try:
            with open(self.folder / "fitted.pkl", "rb") as source:
                fitted = pickle.load(source)
        except Exception:  # missing, half-written, or made by another version of a library
            return None
        return fitted if isinstance(fitted, Featurizer) and fitted.spec() == self.featurizer.spec() else None

    def _save(self, state: _State, *, fitted: bool) -> None:
        index_path, key_path = self._paths()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # a database project's is under ~/.cache/hilt
            key_path.unlink(missing_ok=True)  # the key is written last: no key, no cache
            if fitted:
                try:
                    data = pickle.dumps(state.fitted, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # a featurizer that cannot be pickled is rebuilt after an import
                    (self.folder / "fitted.pkl").unlink(missing_ok=True)
                else:
                    _write(self.folder / "fitted.pkl", lambda out: out.write(data))
            names = []
            for i, block in enumerate(state.blocks):
                names.append(f"features-{i}.npz" if sp.issparse(block) else f"features-{i}.npy")
                _write(self.folder / names[-1], (lambda out, b=block: sp.save_npz(out, b.tocsr(), compressed=False))
                       if sp.issparse(block) else (lambda out, b=block: np.save(out, b)))
            _write(index_path, lambda out: np.savez(out, rowids=state.rowids, is_eval=state.is_eval))
            record = {
                "key": _versioned(state.base, state.top), "base": state.base, "top": state.top,
                "fitted_top": state.fitted_top, "blocks": names, "featurizer": self.featurizer.spec(),
                "n_items": len(state.rowids), "n_features": int(sum(b.shape[1] for b in state.blocks)),
            }
            _write(key_path, lambda out: out.write(json.dumps(record).encode()))
        except OSError:  # a read-only folder only costs a rebuild next time
            pass


def _versioned(base: str, top: int) -> str:
    """The cache key: the base and the highest item row id the rows cover."""
    return hashlib.sha256(f"{base}:{int(top)}".encode()).hexdigest()


def _write(path: Path, write: Callable[[Any], Any]) -> None:
    """Write ``path`` through a temporary file and a rename: a reader sees the old or the new."""
    tmp = path.with_name(f".{os.getpid()}.{threading.get_ident()}.{path.name}")
    with open(tmp, "wb") as out:
        write(out)
    os.replace(tmp, path)
