"""The feature matrix of a project's items, computed once and cached beside the project file.

The featurizer (TF-IDF for text, scaling for tables, from :func:`hilt.models.make_featurizer`)
is unsupervised, so it is fitted once on the whole pool; every retrain then only refits the
classifier and every rescore is a matrix product over the cached rows. The cache lives in
``<project>.d/`` (``features.npz`` or ``features.npy`` with ``features.json`` naming the item
set it was built for) and is rebuilt when it is missing or stale, e.g. after an import.
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

from hilt.models import make_featurizer
from hilt.store import Store

__all__ = ["FeatureCache", "cache_folder"]

#: Bump when the featurizer or the cache layout changes, so old caches are rebuilt.
_CACHE_FORMAT = 1


def cache_folder(project_path: Path) -> Path:
    """The folder beside ``reviews.hilt`` that holds rebuildable files: ``reviews.hilt.d``."""
    return project_path.with_name(project_path.name + ".d")


class FeatureCache:
    """Features of every item, in row-id order, kept in memory and on disk.

    Parameters
    ----------
    folder : pathlib.Path
        Where the cache files go (created when first written).
    kind : {"text", "table"}
    feature_columns : list of str
        The numeric columns of table items (ignored for text, which reads ``data["text"]``).
    """

    def __init__(self, folder: Path, kind: str, feature_columns: list[str]):
        self.folder = Path(folder)
        self.kind = kind
        self.feature_columns = list(feature_columns)
        self._lock = threading.Lock()
        self._key: str | None = None
        self._X: Any = None
        #: What the last :meth:`get` did: "memory", "disk" or "built", and how long it took.
        self.last_source: str | None = None

    def get(self, store: Store, cancelled: Callable[[], bool] = lambda: False) -> tuple[Any, np.ndarray, np.ndarray]:
        """``(X, rowids, is_eval)``: one feature row per item, in row-id order."""
        rowids, is_eval = store.item_index()
        key = self._key_for(rowids)
        with self._lock:
            if self._key == key:
                self.last_source = "memory"
            elif (X := self._load(key)) is not None:
                self._X, self._key, self.last_source = X, key, "disk"
            else:
                self._X = self._build(store, rowids, cancelled)
                self._key, self.last_source = key, "built"
                self._save(key, self._X)
            return self._X, rowids, is_eval

    def _key_for(self, rowids: np.ndarray) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(rowids, dtype=np.int64).tobytes())
        digest.update(json.dumps([_CACHE_FORMAT, self.kind, self.feature_columns]).encode())
        return digest.hexdigest()

    def _build(self, store: Store, rowids: np.ndarray, cancelled: Callable[[], bool]) -> Any:
        values: list[Any] = []
        for ids, datas in store.iter_item_data():
            if cancelled():
                raise InterruptedError("feature build cancelled")
            if self.kind == "text":
                values.extend(str(d.get("text", "")) for d in datas)
            else:
                values.extend([float(d[c]) for c in self.feature_columns] for d in datas)
        if len(values) != len(rowids):  # items were added between the two reads: try again later
            raise InterruptedError("items changed while features were built")
        raw = values if self.kind == "text" else np.asarray(values, dtype=np.float64)
        X = make_featurizer(self.kind).fit_transform(raw)
        return X.tocsr().astype(np.float32) if sp.issparse(X) else np.asarray(X, dtype=np.float32)

    def _paths(self) -> tuple[Path, Path]:
        name = "features.npz" if self.kind == "text" else "features.npy"
        return self.folder / name, self.folder / "features.json"

    def _load(self, key: str) -> Any:
        data_path, key_path = self._paths()
        try:
            if json.loads(key_path.read_text())["key"] != key:
                return None
            return sp.load_npz(data_path).tocsr() if self.kind == "text" else np.load(data_path)
        except (OSError, ValueError, KeyError):  # missing, half-written or foreign: rebuild
            return None

    def _save(self, key: str, X: Any) -> None:
        data_path, key_path = self._paths()
        try:
            self.folder.mkdir(exist_ok=True)
            key_path.unlink(missing_ok=True)  # the key is written last: no key, no cache
            tmp = data_path.with_name(f".{os.getpid()}.{data_path.name}")
            with open(tmp, "wb") as out:
                if self.kind == "text":
                    sp.save_npz(out, X, compressed=False)
                else:
                    np.save(out, X)
            os.replace(tmp, data_path)
            tmp_key = key_path.with_name(f".{os.getpid()}.{key_path.name}")
            tmp_key.write_text(json.dumps({"key": key, "n_items": X.shape[0], "n_features": X.shape[1]}))
            os.replace(tmp_key, key_path)
        except OSError:  # a read-only folder only costs a rebuild next time
            pass
