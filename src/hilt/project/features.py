"""The feature matrix of a project's items, computed once and cached beside the project file.

The project's featurizer (one of :mod:`hilt.features`: TF-IDF, sentence embeddings, both,
scaling for tables, or a user's transformer) is unsupervised, so it is fitted once on the whole
pool; every retrain then only refits the classifier and every rescore is a matrix product over
the cached rows. The cache lives in ``<project>.d/``: one file per block of the featurizer's
output (``features-0.npz`` for a sparse block, ``features-1.npy`` for a dense one, so that
embeddings take 4 bytes a value), ``index.npz`` with the item row ids, and ``features.json``
with the key, written last. The key names the item set (the store's item-set version) and the
featurizer (:meth:`hilt.features.Featurizer.spec`: name, parameters, library version), so the
cache is rebuilt when it is missing or stale: after an import, or when the featurizer changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from hilt.features import Featurizer, get_featurizer
from hilt.features.base import Progress
from hilt.store import Store
from hilt.store.database import database_folder_name
from hilt.store.engine import is_database_url

__all__ = ["FeatureCache", "cache_folder"]

#: Bump when the featurizer or the cache layout changes, so old caches are rebuilt.
_CACHE_FORMAT = 3


def cache_folder(project_path: Path | str) -> Path:
    """The folder that holds a project's rebuildable files: ``reviews.hilt.d`` beside a project
    file; for a project in a PostgreSQL database, a folder of this host's own under
    ``$HILT_CACHE_DIR`` (default ``~/.cache/hilt``) named after the database. Servers on other
    hosts keep their own copies: nothing in it has to be shared, everything is rebuilt from the
    database when it is missing or stale (the cache key holds the project's uid and item count).

    Examples
    --------
    >>> cache_folder(Path("/data/reviews.hilt"))
    PosixPath('/data/reviews.hilt.d')
    >>> cache_folder("postgresql://ana:pw@db.example:5433/labels").name
    'db.example-5433-labels'
    """
    if is_database_url(project_path):
        root = Path(os.environ.get("HILT_CACHE_DIR") or Path.home() / ".cache" / "hilt")
        return root / database_folder_name(str(project_path))
    project_path = Path(project_path)
    return project_path.with_name(project_path.name + ".d")


class FeatureCache:
    """Features of every item, in row-id order, kept in memory and on disk.

    The cache is named by the store's item-set version (the project's uid and its highest
    item row id; items are only ever appended), so checking that it is current costs one
    index look-up, not a read of every item. The item index (row ids and the evaluation
    flags) is cached with the features for the same reason.

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
    >>> store.close()
    """

    def __init__(self, folder: Path, kind: str, feature_columns: list[str], featurizer: Any = None):
        self.folder = Path(folder)
        self.kind = kind
        self.feature_columns = list(feature_columns)
        self.featurizer: Featurizer = get_featurizer(featurizer, kind)
        self._lock = threading.Lock()
        self._key: str | None = None
        self._cached: tuple[Any, np.ndarray, np.ndarray] | None = None
        #: What the last :meth:`get` did: "memory", "disk" or "built".
        self.last_source: str | None = None

    def get(self, store: Store, cancelled: Callable[[], bool] = lambda: False,
            progress: Progress | None = None) -> tuple[Any, np.ndarray, np.ndarray]:
        """``(X, rowids, is_eval)``: one feature row per item, in row-id order.

        A build reports ``progress(done, total)`` as it goes (embedding is done in chunks) and
        stops with :class:`InterruptedError` when ``cancelled()`` turns true."""
        uid, top = store.item_set_version()
        key = self._key_for(uid, top)
        with self._lock:
            if self._key == key and self._cached is not None:
                self.last_source = "memory"
            elif (loaded := self._load(key)) is not None:
                self._cached, self._key, self.last_source = loaded, key, "disk"
            else:
                rowids, is_eval = store.item_index()
                keep = rowids <= top  # items added since the version was read wait for the next run
                rowids, is_eval = rowids[keep], is_eval[keep]
                blocks = self._build(store, rowids, cancelled, progress)
                X = self.featurizer.join(blocks)
                self._cached, self._key, self.last_source = (X, rowids, is_eval), key, "built"
                self._save(key, blocks, rowids, is_eval)
            return self._cached

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

    def _key_for(self, uid: str, top: int) -> str:
        spec = self.featurizer.spec()
        digest = hashlib.sha256(json.dumps([_CACHE_FORMAT, uid, top, self.kind, self.feature_columns, spec],
                                           sort_keys=True).encode())
        return digest.hexdigest()

    def _build(self, store: Store, rowids: np.ndarray, cancelled: Callable[[], bool],
               progress: Progress | None) -> list[Any]:
        fields = ["text"] if self.kind == "text" else self.feature_columns
        values: list[Any] = []
        ids: list[int] = []
        for batch_ids, rows in store.iter_item_fields(fields):
            if cancelled():
                raise InterruptedError("feature build cancelled")
            if self.kind == "text":
                values.extend("" if r[0] is None else str(r[0]) for r in rows)
            else:
                values.extend(rows)
            ids.extend(batch_ids)
        n = len(rowids)
        if len(ids) < n or not np.array_equal(np.asarray(ids[:n], dtype=np.int64), rowids):
            raise InterruptedError("items changed while features were built")  # try again later
        raw = values[:n] if self.kind == "text" else np.asarray(values[:n], dtype=np.float64)
        return self.featurizer.fit_blocks(raw, progress=progress, cancelled=cancelled)

    def _paths(self) -> tuple[Path, Path]:
        return self.folder / "index.npz", self.folder / "features.json"

    def _load(self, key: str) -> tuple[Any, np.ndarray, np.ndarray] | None:
        index_path, key_path = self._paths()
        try:
            written = json.loads(key_path.read_text())
            if written["key"] != key:
                return None
            blocks = [sp.load_npz(self.folder / name).tocsr() if name.endswith(".npz") else np.load(self.folder / name)
                      for name in written["blocks"]]
            with np.load(index_path) as index:
                rowids, is_eval = index["rowids"], index["is_eval"]
            if any(b.shape[0] != len(rowids) for b in blocks) or len(is_eval) != len(rowids):
                return None
            return self.featurizer.join(blocks), rowids, is_eval
        except (OSError, ValueError, KeyError, TypeError):  # missing, half-written or foreign: rebuild
            return None

    def _save(self, key: str, blocks: list[Any], rowids: np.ndarray, is_eval: np.ndarray) -> None:
        index_path, key_path = self._paths()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # a database project's is under ~/.cache/hilt
            key_path.unlink(missing_ok=True)  # the key is written last: no key, no cache
            names = []
            for i, block in enumerate(blocks):
                names.append(f"features-{i}.npz" if sp.issparse(block) else f"features-{i}.npy")
                tmp = self.folder / f".{os.getpid()}.{names[-1]}"
                with open(tmp, "wb") as out:
                    if sp.issparse(block):
                        sp.save_npz(out, block.tocsr(), compressed=False)
                    else:
                        np.save(out, block)
                os.replace(tmp, self.folder / names[-1])
            tmp = index_path.with_name(f".{os.getpid()}.{index_path.name}")
            with open(tmp, "wb") as out:
                np.savez(out, rowids=rowids, is_eval=is_eval)
            os.replace(tmp, index_path)
            tmp_key = key_path.with_name(f".{os.getpid()}.{key_path.name}")
            tmp_key.write_text(json.dumps({
                "key": key, "blocks": names, "featurizer": self.featurizer.spec(), "n_items": len(rowids),
                "n_features": int(sum(b.shape[1] for b in blocks)),
            }))
            os.replace(tmp_key, key_path)
        except OSError:  # a read-only folder only costs a rebuild next time
            pass
