"""Which ids of an input came earlier in the same input, across all of its chunks.

A set of ten million id strings takes about a gigabyte of Python objects; this keeps two
independent 64-bit hashes of each id (16 bytes) and the line it was first seen on (8 bytes) in
sorted numpy arrays instead: 240 MB at ten million ids. Two ids are taken for the same only when
both hashes agree, which two different ids do with a chance of about n² / 2¹²⁹ (10⁻²⁵ at ten
million ids): no file will ever meet it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from hilt.errors import InputError
from hilt.importing.checks import REPORTED_REPEATS
from hilt.importing.chunk import RawChunk, _place

__all__ = ["UniqueIds"]

#: pandas' hash_array keys (16 bytes each): two keys give two independent hashes.
_KEYS = ("hilt-import-id-1", "hilt-import-id-2")


def _hashes(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(ids, dtype=object)
    return tuple(pd.util.hash_array(values, hash_key=key, categorize=False) for key in _KEYS)


class UniqueIds:
    """The ids seen so far in one input: :meth:`keep` refuses an id that came earlier (or, with
    ``drop=True``, skips it and counts it in :attr:`duplicates`).

    Examples
    --------
    >>> import pandas as pd
    >>> from hilt.importing.chunk import RawChunk
    >>> from hilt.importing.ids import UniqueIds
    >>> unique = UniqueIds("id", drop=True)
    >>> unique.keep(["a", "b"], RawChunk(pd.DataFrame(), "f.csv", [2, 3]))
    [0, 1]
    >>> unique.keep(["c", "a", "c"], RawChunk(pd.DataFrame(), "f.csv", [4, 5, 6]))
    [0]
    >>> unique.duplicates, unique.repeated_ids
    (2, [('a', 'line 5'), ('c', 'line 6')])
    """

    def __init__(self, column: str | None, *, drop: bool = False) -> None:
        self.column = column
        self.drop = drop
        self.duplicates = 0
        self.repeated_ids: list[tuple[str, str]] = []
        self.rows = 0
        self._h1 = np.empty(0, dtype=np.uint64)  # sorted
        self._h2 = np.empty(0, dtype=np.uint64)  # in the order of _h1
        self._first = np.empty(0, dtype=np.int64)  # the line (or row) each id was first on

    @property
    def distinct(self) -> int:
        return len(self._h1)

    def keep(self, ids: list[str], raw: RawChunk) -> list[int]:
        """Positions of ``ids`` (one chunk's, in order) whose id has not come before."""
        self.rows += len(ids)
        if self.column is None:  # row numbers: never repeated
            return list(range(len(ids)))
        h1, h2 = _hashes(ids)
        # Earlier in this chunk: pandas' exact hash table on the strings themselves.
        within = pd.Series(ids, dtype=object).duplicated().to_numpy()
        # Earlier in an earlier chunk: both hashes found among those seen.
        at = np.searchsorted(self._h1, h1)
        found = np.zeros(len(ids), dtype=bool)
        inside = at < len(self._h1)
        found[inside] = self._h1[at[inside]] == h1[inside]
        earlier: dict[int, int] = {}
        for p in np.flatnonzero(found & ~within):
            j = int(at[p])
            while j < len(self._h1) and self._h1[j] == h1[p]:  # equal first hashes: rare
                if self._h2[j] == h2[p]:
                    earlier[int(p)] = int(self._first[j])
                    break
                j += 1
        repeats = sorted(set(np.flatnonzero(within).tolist()) | set(earlier))
        if repeats:
            first_in_chunk: dict[str, int] = {}
            for p, item_id in enumerate(ids):
                first_in_chunk.setdefault(item_id, p)
            is_line = raw.lines is not None
            firsts = {p: earlier[p] if p in earlier else raw.number(first_in_chunk[ids[p]]) for p in repeats}
            self.duplicates += len(repeats)
            if not self.drop:
                named = "; ".join(f"{ids[p]!r} ({raw.place(p)}, first on {_place(firsts[p], is_line)})"
                                  for p in repeats[:REPORTED_REPEATS])
                distinct = self.distinct + len(ids) - len(repeats)
                n = self.duplicates
                raise InputError(
                    f"{raw.source}: expected unique ids in column {self.column!r}, but {n:,} "
                    f"row{'s' if n != 1 else ''} repeat{'' if n != 1 else 's'} the id of an "
                    f"earlier row ({distinct:,} distinct ids in {self.rows:,} rows"
                    f"{' read so far' if self.rows > len(ids) else ''}): {named}"
                    f"{'; and more' if n > REPORTED_REPEATS else ''}. Check that {self.column!r} is the id "
                    "column; to keep the first row of each id and skip the rest, pass --drop-duplicate-ids "
                    "(Python: drop_duplicate_ids=True)."
                )
            room = REPORTED_REPEATS - len(self.repeated_ids)
            self.repeated_ids += [(ids[p], raw.place(p)) for p in repeats[:max(room, 0)]]
        new = np.ones(len(ids), dtype=bool)
        new[repeats] = False
        self._add(h1[new], h2[new], np.array([raw.number(p) for p in np.flatnonzero(new)], dtype=np.int64)
                  if raw.lines is not None else raw.offset + np.flatnonzero(new))
        return np.flatnonzero(new).tolist()

    def _add(self, h1: np.ndarray, h2: np.ndarray, first: np.ndarray) -> None:
        order = np.argsort(h1, kind="stable")
        h1, h2, first = h1[order], h2[order], first[order]
        # Merged in place of a re-sort: O(n) a chunk, so ten million ids in 100 chunks cost seconds.
        at = np.searchsorted(self._h1, h1)
        self._h1 = np.insert(self._h1, at, h1)
        self._h2 = np.insert(self._h2, at, h2)
        self._first = np.insert(self._first, at, first)
