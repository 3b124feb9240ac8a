"""Vectors a team computed itself (an image or text embedding from their own model) as features.

``vectors:COLUMN`` reads each item's vector from a column of its data: a JSON list in a JSONL
file, a list column of a Parquet file or a DataFrame, or a JSON list written in a CSV cell.
``vectors:FILE.npz`` (arrays ``ids`` and ``vectors``) or ``vectors:FILE.npy`` (with the ids,
one a line, in ``FILE.ids.txt`` beside it) reads them from a file, row by row aligned by item id:
an item whose id the file lacks is an error that names the first such ids. A name that ends in
``.npy`` or ``.npz`` is a file, anything else a column. ``tfidf+vectors:SOURCE`` puts TF-IDF of
the text beside the vectors (scaled to unit length, weighted 0.7, as ``tfidf+embeddings`` does).

The vectors are used as they are: a dense float32 matrix, one row per item, every row of the
same length and every number finite (checked at import, and again when rows are built, with
errors naming the item and the column or file). Nothing is learnt from the pool, so a new
item's row is its vector alone and imports only append rows.

The cache key (:meth:`VectorFeatures.spec`) names the column, or the file with its size,
modification time and SHA-256: a changed file is read again, never served stale. A column's
vectors are part of the items, which never change once imported, so the item set names them.

Examples
--------
>>> from hilt.features import get_featurizer
>>> features = get_featurizer("vectors:emb", "table")
>>> features.name, features.fit_transform([[1, 0], [0.5, 2]]).tolist()
('vectors:emb', [[1.0, 0.0], [0.5, 2.0]])
>>> features.fit_transform(["[1, 2]", [3, 4.5]]).tolist()  # JSON text, as a CSV cell holds it
[[1.0, 2.0], [3.0, 4.5]]
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.features.base import Featurizer, Progress
from hilt.features.text import TfidfFeatures, WordCounts, _texts

__all__ = ["VECTOR_FILE_SUFFIXES", "VectorFeatures", "TfidfVectorFeatures", "VectorItems", "VectorFile",
           "parse_vectors", "vector_source"]

#: A source name with one of these endings is a file of vectors, anything else a column.
VECTOR_FILE_SUFFIXES = (".npy", ".npz")

#: How many missing or bad ids an error names.
_NAMED = 5


@dataclass
class VectorItems:
    """Items as a vectors featurizer reads them from a project: each item's cell of the vectors
    column (``values``; ``None`` for a file), its id (``ids``, for messages and to align a file)
    and, beside TF-IDF, its text (``texts``). Rows are selected like an array's (``items[rows]``)."""

    values: Any = None
    ids: Sequence[str] | None = None
    texts: Sequence[str] | None = None

    def __len__(self) -> int:
        for part in (self.values, self.ids, self.texts):
            if part is not None:
                return len(part)
        return 0

    def __getitem__(self, rows: Any) -> "VectorItems":
        pick = (lambda part: None if part is None else
                part[rows] if isinstance(part, np.ndarray) else [part[int(i)] for i in np.asarray(rows).ravel()])
        return VectorItems(pick(self.values), pick(self.ids), pick(self.texts))


def vector_source(source: str) -> tuple[str, str]:
    """``("file", absolute path)`` or ``("column", name)`` for the part after ``vectors:``.

    Examples
    --------
    >>> vector_source("emb")
    ('column', 'emb')
    >>> vector_source("/data/emb.npz")
    ('file', '/data/emb.npz')
    """
    if not isinstance(source, str) or not source.strip():
        raise InputError(f"Expected a column or a .npy/.npz file after 'vectors:' (vectors:emb); got {source!r}.")
    source = source.strip()
    if source.lower().endswith(VECTOR_FILE_SUFFIXES):
        return "file", str(Path(source).expanduser().resolve())
    return "column", source


def parse_vectors(values: Sequence[Any], *, column: str, ids: Sequence[str] | None = None,
                  dim: int | None = None) -> np.ndarray:
    """The cells of a vectors column as a float32 matrix, one row per cell.

    A cell is a list, tuple or array of numbers, or such a list written as JSON text (a CSV
    cell). Every row must have ``dim`` numbers (default: as many as the first), all finite;
    otherwise an :class:`~hilt.errors.InputError` names the item (its id from ``ids``, else
    its position) and the column.

    Examples
    --------
    >>> parse_vectors([[1, 2], "[3, 4]"], column="emb").tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> parse_vectors([[1, 2], [3]], column="emb", ids=["a", "b"])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a vector of 2 numbers in column 'emb' of item 'b' (as the other items have); got 1 number.
    """
    def where(i: int) -> str:
        return f"item {ids[i]!r}" if ids is not None else f"item {i} (counting from 0)"

    n = len(values)
    if n == 0:
        return np.empty((0, dim or 0), dtype=np.float32)
    rows: list[Any] = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise InputError(f"Expected a vector (a list of numbers, e.g. [0.1, 0.2]) in column {column!r} of "
                                 f"{where(i)}; got text {_short(value)!r}.") from None
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise InputError(f"Expected a vector in column {column!r} of {where(i)}; it is empty. Every item needs "
                             "one: fill it in or remove the row.")
        if not isinstance(value, (list, tuple)):
            raise InputError(f"Expected a vector (a list of numbers) in column {column!r} of {where(i)}; got "
                             f"{type(value).__name__} {_short(value)!r}.")
        if dim is None:
            dim = len(value)
            if dim == 0:
                raise InputError(f"Expected a vector of at least one number in column {column!r} of {where(i)}; "
                                 "got an empty list.")
        if len(value) != dim:
            raise InputError(f"Expected a vector of {dim} number{'s' if dim != 1 else ''} in column {column!r} of "
                             f"{where(i)} (as the other items have); got {len(value)} number"
                             f"{'s' if len(value) != 1 else ''}.")
        rows.append(value)
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        for i, row in enumerate(rows):
            bad = next((v for v in row if isinstance(v, bool) or not isinstance(v, (int, float))), None)
            if bad is not None or any(isinstance(v, bool) for v in row):
                raise InputError(f"Expected numbers in the vector in column {column!r} of {where(i)}; got "
                                 f"{_short(bad)!r}.") from None
        raise
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise InputError(f"Expected finite numbers in the vector in column {column!r} of {where(i)}; got NaN or "
                         "infinity.")
    return matrix.astype(np.float32)


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 40 else text[:37] + "..."


class VectorFile:
    """A file of vectors with their item ids, read once per process per version of the file.

    ``FILE.npz``: arrays ``ids`` (strings or whole numbers) and ``vectors`` (2-D numbers), saved
    with ``numpy.savez(path, ids=ids, vectors=vectors)``. ``FILE.npy``: the 2-D vectors, memory
    mapped, and their ids in ``FILE.ids.txt`` beside it, one a line in the same order (an
    ``.npy`` alone does not say which row is which item, so it is refused without them).
    """

    _cache: dict[tuple, "VectorFile"] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path, ids: list[str], vectors: np.ndarray, sha256: str):
        self.path, self.ids, self.vectors, self.sha256 = path, ids, vectors, sha256
        self.position = {key: i for i, key in enumerate(ids)}

    @staticmethod
    def sidecar(path: Path) -> Path:
        """Where an ``.npy`` file's ids are: ``emb.npy`` -> ``emb.ids.txt``."""
        return path.with_suffix(".ids.txt")

    @classmethod
    def stamp(cls, path: Path) -> tuple:
        """What tells one version of the file (and an ``.npy``'s ids) from another: sizes and times."""
        files = [path] + ([cls.sidecar(path)] if path.suffix.lower() == ".npy" else [])
        stamp: list[Any] = [str(path)]
        for file in files:
            try:
                info = os.stat(file)
            except OSError:
                raise InputError(_missing(path, file)) from None
            stamp += [info.st_size, info.st_mtime_ns]
        return tuple(stamp)

    @classmethod
    def read(cls, path: str | Path) -> "VectorFile":
        """The file at ``path``, from this process's memory while its size and time are the same."""
        path = Path(path)
        stamp = cls.stamp(path)
        with cls._lock:
            if stamp in cls._cache:
                return cls._cache[stamp]
        found = cls._load(path)
        with cls._lock:
            if len(cls._cache) >= 4:
                cls._cache.pop(next(iter(cls._cache)))
            cls._cache[stamp] = found
        return found

    @classmethod
    def _load(cls, path: Path) -> "VectorFile":
        digest = hashlib.sha256()
        if path.suffix.lower() == ".npz":
            try:
                with np.load(path, allow_pickle=False) as archive:
                    names = list(archive.files)
                    if "ids" not in names or "vectors" not in names:
                        raise InputError(f"Expected arrays 'ids' and 'vectors' in {path} (numpy.savez(path, ids=ids, "
                                         f"vectors=vectors)); it holds {', '.join(names) or 'none'}.")
                    raw_ids, vectors = archive["ids"], archive["vectors"]
            except InputError:
                raise
            except (OSError, ValueError) as error:
                hint = (" Save the ids as strings, not Python objects: numpy.savez(path, ids=numpy.array(ids, "
                        "dtype=str), vectors=vectors)." if "allow_pickle" in str(error) else "")
                raise InputError(f"Expected a NumPy .npz file of vectors at {path}; it cannot be read ({error}).{hint}") \
                    from None
            ids = _id_texts(raw_ids, path)
        else:
            try:
                vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as error:
                raise InputError(f"Expected a NumPy .npy file of vectors at {path}; it cannot be read ({error}).") \
                    from None
            side = cls.sidecar(path)
            try:
                text = side.read_text(encoding="utf-8")
            except OSError:
                raise InputError(_missing(path, side)) from None
            except UnicodeDecodeError as error:
                raise InputError(f"Expected UTF-8 text in {side} (one item id a line); {error}.") from None
            ids = text.splitlines()
            digest.update(text.encode())
        if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.number) or np.issubdtype(vectors.dtype,
                                                                                            np.complexfloating):
            raise InputError(f"Expected a 2-D array of numbers (one row per item) as the vectors in {path}; got "
                             f"{vectors.ndim}-D {vectors.dtype}.")
        if len(ids) != vectors.shape[0]:
            raise InputError(f"Expected one id per row of vectors in {path}; got {len(ids)} ids for "
                             f"{vectors.shape[0]} rows.")
        if vectors.shape[1] == 0:
            raise InputError(f"Expected vectors of at least one number in {path}; they have none.")
        seen: set[str] = set()
        repeated = [key for key in ids if key in seen or seen.add(key)]  # type: ignore[func-returns-value]
        if repeated:
            raise InputError(f"Expected each item id once in {path}; repeated: "
                             f"{', '.join(map(repr, repeated[:_NAMED]))}.")
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
        return cls(path, ids, vectors, digest.hexdigest())

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """The float32 vectors of the items ``ids``, in that order; missing ids are an error."""
        ids = [str(key) for key in ids]
        positions = [self.position.get(key, -1) for key in ids]
        missing = [key for key, p in zip(ids, positions) if p < 0]
        if missing:
            raise InputError(
                f"Expected a vector in {self.path} for every item; {len(missing)} item{'s have' if len(missing) != 1 else ' has'} "
                f"none, first: {', '.join(map(repr, missing[:_NAMED]))}. Add their ids and vectors to the file "
                "(the ids are the project's item ids, as hilt export writes them).")
        matrix = np.asarray(self.vectors[np.asarray(positions, dtype=np.int64)], dtype=np.float32)
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            bad = [ids[i] for i in np.flatnonzero(~finite)[:_NAMED]]
            raise InputError(f"Expected finite numbers in the vectors of {self.path}; NaN or infinity for item"
                             f"{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}.")
        return np.ascontiguousarray(matrix)


def _missing(path: Path, file: Path) -> str:
    if file == path:
        return f"Expected the file of vectors {path} (features vectors:{path.name}); there is no such file."
    return (f"Expected the item ids of {path} in {file}, one a line in the order of its rows (a .npy file does not "
            "say which row is which item); there is no such file. Or save both in one .npz: "
            "numpy.savez('vectors.npz', ids=ids, vectors=vectors).")


def _id_texts(raw: np.ndarray, path: Path) -> list[str]:
    if raw.ndim != 1:
        raise InputError(f"Expected the array 'ids' in {path} to be 1-D (one id per row); got {raw.ndim}-D.")
    if raw.dtype.kind in "iu":
        return [str(int(v)) for v in raw.tolist()]
    if raw.dtype.kind in "US":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in raw.tolist()]
    raise InputError(f"Expected the array 'ids' in {path} to hold strings or whole numbers; got {raw.dtype}.")


class VectorFeatures(Featurizer):
    """The items' own vectors as the feature matrix (dense float32, used as they are).

    ``source`` is a column of the items' data, or a ``.npy``/``.npz`` file aligned by item id
    (see the module notes). In Python the featurizer also takes the vectors directly: a 2-D
    array or a list of lists (a column), or a list of item ids (a file).

    Examples
    --------
    >>> from hilt.features.vectors import VectorFeatures
    >>> VectorFeatures("emb").spec()["params"]
    {'column': 'emb'}
    """

    kinds = ("text", "table")
    classifier_C = 1.0
    #: Nothing is learnt from the pool: a new item's row is its vector.
    incremental = "per_item"
    distributable = True

    def __init__(self, source: str):
        self.source = source
        self.where, self.target = vector_source(source)
        self.name = f"vectors:{self.target}"

    @property
    def needs_ids(self) -> bool:  # type: ignore[override]
        return self.where == "file"

    @property
    def vector_column(self) -> str | None:
        """The column of the items' data that holds the vectors (``None`` for a file)."""
        return self.target if self.where == "column" else None

    def params(self) -> dict:
        if self.where == "column":
            return {"column": self.target}
        found = VectorFile.read(self.target)  # by size and time: cheap once read
        stamp = VectorFile.stamp(Path(self.target))
        return {"file": self.target, "size": stamp[1], "mtime_ns": stamp[2], "sha256": found.sha256}

    def version(self) -> str:
        return f"numpy {np.__version__}"

    def item_fields(self, kind: str, feature_columns: Sequence[str]) -> list[str]:
        return [self.target] if self.where == "column" else []

    def items_from_rows(self, rows: Sequence[tuple], kind: str, feature_columns: Sequence[str],
                        ids: Sequence[str] | None = None) -> VectorItems:
        return VectorItems(values=[r[0] for r in rows] if self.where == "column" else None, ids=ids)

    def vectors(self, items: Any) -> np.ndarray:
        """The float32 matrix of ``items`` (:class:`VectorItems`, or the vectors / ids themselves)."""
        if self.where == "file":
            ids = items.ids if isinstance(items, VectorItems) else items
            if ids is None:
                raise InputError(f"Expected the items' ids to read their vectors from {self.target}.")
            return VectorFile.read(self.target).rows(list(ids))
        if isinstance(items, VectorItems):
            return parse_vectors(items.values, column=self.target, ids=items.ids)
        if isinstance(items, np.ndarray) and items.ndim == 2:
            return parse_vectors(list(items), column=self.target)
        return parse_vectors(list(items), column=self.target)

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        return [self.vectors(items)]

    def _transform_blocks(self, items: Any) -> list[Any]:
        return [self.vectors(items)]

    def partition_stats(self, items: Any) -> None:
        return None

    def merge_stats(self, a: None, b: None) -> None:
        return None

    def fit_stats(self, stats: None) -> "VectorFeatures":
        return self

    def check_import(self, ids: Sequence[str], cells: Sequence[Any] | None, dim: int | None) -> tuple[list | None, int]:
        """Check the vectors of items being imported: the column's ``cells`` (returned as plain
        lists of floats, JSON text parsed), or the file's rows for ``ids``; ``dim`` is the length
        the project's vectors have (``None`` for its first items). Returns ``(cells, dim)``."""
        if self.where == "file":
            matrix = VectorFile.read(self.target).rows(ids)
            cells_out = None
        else:
            matrix = parse_vectors(list(cells or []), column=self.target, ids=ids, dim=dim)
            cells_out = matrix.astype(np.float64).tolist() if cells is not None else None
        if dim is not None and matrix.shape[1] != dim:
            raise InputError(f"Expected vectors of {dim} numbers in {self.target} (as the project's items have); "
                             f"got {matrix.shape[1]}.")
        return cells_out, int(matrix.shape[1])


class TfidfVectorFeatures(Featurizer):
    """TF-IDF of the text beside the items' own vectors (a column or a file, as
    :class:`VectorFeatures`), the vectors scaled to unit length and weighted by
    ``vector_weight`` (0.7), as ``tfidf+embeddings`` weighs its embeddings against the unit
    TF-IDF rows.

    Examples
    --------
    >>> from hilt.features.vectors import TfidfVectorFeatures, VectorItems
    >>> features = TfidfVectorFeatures("emb")
    >>> X = features.fit_transform(VectorItems(values=[[3, 4], [1, 0]], texts=["good film", "bad film"]))
    >>> X.shape, round(float(X.toarray()[0, -2]), 2)
    ((2, 5), 0.42)
    """

    kinds = ("text",)
    classifier_C = 3.0
    incremental = "kept"  # the TF-IDF block's vocabulary; the vectors are per item
    distributable = True

    def __init__(self, source: str, max_features: int = 200_000, vector_weight: float = 0.7):
        self.source, self.max_features, self.vector_weight = source, max_features, vector_weight
        self.vectors_part = VectorFeatures(source)
        self.tfidf = TfidfFeatures(max_features)
        self.name = f"tfidf+{self.vectors_part.name}"

    @property
    def needs_ids(self) -> bool:  # type: ignore[override]
        return self.vectors_part.needs_ids

    @property
    def vector_column(self) -> str | None:
        """As :attr:`VectorFeatures.vector_column`."""
        return self.vectors_part.vector_column

    def params(self) -> dict:
        return {"tfidf": TfidfFeatures(self.max_features).params(), "vectors": VectorFeatures(self.source).params(),
                "vector_weight": float(self.vector_weight)}

    def version(self) -> str:
        return f"{TfidfFeatures().version()}; numpy {np.__version__}"

    def item_fields(self, kind: str, feature_columns: Sequence[str]) -> list[str]:
        return ["text"] + self.vectors_part.item_fields(kind, feature_columns)

    def items_from_rows(self, rows: Sequence[tuple], kind: str, feature_columns: Sequence[str],
                        ids: Sequence[str] | None = None) -> VectorItems:
        column = self.vectors_part.where == "column"
        return VectorItems(values=[r[1] for r in rows] if column else None, ids=ids,
                           texts=["" if r[0] is None else str(r[0]) for r in rows])

    def _weighted(self, items: Any) -> np.ndarray:
        matrix = self.vectors_part.vectors(items)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms > 0, norms, 1.0)
        matrix *= np.float32(self.vector_weight)
        return matrix

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        self.tfidf = TfidfFeatures(self.max_features)
        self.vectors_part = VectorFeatures(self.source)
        return self.tfidf._fit_blocks(_texts(_text_part(items)), None, cancelled) + [self._weighted(items)]

    def _transform_blocks(self, items: Any) -> list[Any]:
        return self.tfidf._transform_blocks(_texts(_text_part(items))) + [self._weighted(items)]

    def partition_stats(self, items: Any) -> WordCounts:
        return TfidfFeatures(self.max_features).partition_stats(_text_part(items))

    def merge_stats(self, a: WordCounts, b: WordCounts) -> WordCounts:
        return a.merge(b)

    def fit_stats(self, stats: WordCounts) -> "TfidfVectorFeatures":
        self.tfidf = TfidfFeatures(self.max_features)
        self.tfidf.fit_stats(stats)
        self.vectors_part = VectorFeatures(self.source)
        return self

    def check_import(self, ids: Sequence[str], cells: Sequence[Any] | None, dim: int | None) -> tuple[list | None, int]:
        """As :meth:`VectorFeatures.check_import`."""
        return self.vectors_part.check_import(ids, cells, dim)


def _text_part(items: Any) -> Sequence[str]:
    if isinstance(items, VectorItems):
        if items.texts is None:
            raise InputError("Expected the items' texts beside their vectors (features tfidf+vectors).")
        return items.texts
    raise InputError("Expected items with texts and vectors (hilt.features.vectors.VectorItems) for "
                     "tfidf+vectors features.")
