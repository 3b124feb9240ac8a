"""Text search over the items: an index of the shown columns' words, and queries against it.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).

The index is one table, ``items_search``, made on the first search and brought up to date at
the start of every later one (items are only ever appended, so the items past the highest row id
it holds are the new ones): an import never pays for an index nobody searches, and a search
always sees every item. On SQLite it is an FTS5 table without a copy of the text (``content=''``:
the text is in ``items``), tokenized by ``unicode61`` with Porter stemming; ranked by BM25. On
PostgreSQL it is a table of ``to_tsvector('english', ...)`` documents with a GIN index, queried
with ``to_tsquery`` and ranked by ``ts_rank``. At most :data:`RANKED` matches are ranked: the
first in import order, best first; matches past those follow in import order. What it indexes is the text of the columns a
person sees (:meth:`search`'s ``columns``); when those change, the index is rebuilt.

A query is never handed to either database's query language as it came: it is cut into words
(letters and digits; a word may end in ``*`` for "starts with"), each passed quoted (FTS5) or
as a bound lexeme (PostgreSQL), all of which must occur. Quotes, ``NEAR``, ``OR``, parentheses
and SQL are words or nothing, never syntax.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import Connection, bindparam, text

from hilt.errors import InputError
from hilt.store.common import ItemRow, get_meta, set_meta
from hilt.store.engine import read, write

__all__ = ["SearchMixin", "query_words"]

#: The meta key that says what the index holds: ``{"columns": [...], "top": highest row id}``.
INDEX_META = "search_index"
#: Items indexed per write transaction when the index is built or caught up.
_CHUNK = 20_000
#: Matches ranked by relevance at most: a query that matches more (a word in most items) has
#: its first matches in row-id order ranked, then the others follow in row-id order. Ranking
#: every match of such a word cost 0.5 s (SQLite) to 1.4 s (PostgreSQL) at 1M items
#: (bench/bench_search.py), and among that many short texts the order says little.
RANKED = 2_000
#: Words of a query at most (a pasted page is not a query).
MAX_WORDS = 32

_WORD = re.compile(r"([^\W_]+)(\*?)", re.UNICODE)


def query_words(query: Any) -> list[tuple[str, bool]]:
    """``(word, prefix)`` of each word of ``query``: runs of letters and digits, lower-cased;
    ``prefix`` when the word ends in ``*``. Everything else (quotes, operators, brackets) is a
    separator. Raises :class:`InputError` for a query without a word.

    Examples
    --------
    >>> from hilt.store.search import query_words
    >>> query_words('"Great" film* OR (NEAR')
    [('great', False), ('film', True), ('or', False), ('near', False)]
    >>> query_words("'; DROP TABLE items; --")
    [('drop', False), ('table', False), ('items', False)]
    """
    if not isinstance(query, str):
        raise InputError(f"Expected a search query (text); got {type(query).__name__}.")
    words = [(word.lower(), bool(star)) for word, star in _WORD.findall(query)]
    if not words:
        raise InputError(f"Expected a search query with at least one word (letters or digits); got {query!r}.")
    if len(words) > MAX_WORDS:
        raise InputError(f"Expected a search query of at most {MAX_WORDS} words; got {len(words)}.")
    return words


def _fts5_query(words: list[tuple[str, bool]]) -> str:
    # Each word a quoted FTS5 string (no word holds a quote, so nothing needs escaping), with the
    # prefix star outside the quotes: FTS5's syntax never sees the user's text as operators.
    return " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in words)


def _ts_query(words: list[tuple[str, bool]]) -> str:
    # Lexemes quoted for to_tsquery; ':*' is its prefix match. The words hold only letters and
    # digits, and the whole string is a bound parameter.
    return " & ".join(f"'{word}'" + (":*" if prefix else "") for word, prefix in words)


class SearchMixin:
    """Text search: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def search(self, query: str, columns: Sequence[str], *, hidden: Callable[[str], bool],
               offset: int = 0, limit: int = 20) -> tuple[list[ItemRow], bool]:
        """``(rows, more)``: the items whose ``columns`` hold every word of ``query``, best match
        first, from the ``offset``-th on, at most ``limit``; ``more`` says whether more follow.

        Evaluation items are never returned, nor items whose key ``hidden`` is true for (the
        project's share of other items kept out: :mod:`hilt.project.search`). The index is
        built or caught up first (see the module doc).
        """
        words = query_words(query)
        columns = list(columns)
        self.update_search_index(columns)
        rows: list[ItemRow] = []
        skipped = 0
        with read(self._engine) as conn:
            streaming = conn.execution_options(stream_results=True) if self.postgres else conn
            for rowid, key, data in self._matches(streaming, words):
                if hidden(key):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                if len(rows) == limit:
                    return rows, True
                rows.append(ItemRow(int(rowid), key, json.loads(data), False))
        return rows, False

    def _matches(self, conn: Connection, words: list[tuple[str, bool]]) -> Iterator[tuple[int, str, str]]:
        """``(rowid, key, data)`` of the matching items that are not evaluation items, in result
        order: the first :data:`RANKED` matches found (SQLite: in row-id order; PostgreSQL: as
        its index finds them) best first, then any others in row-id order (see the module doc)."""
        # is_eval checked here, not in the WHERE: with it there SQLite picks the (is_eval, shuffle)
        # index over the row ids and scans every item (50 ms a page at 200,000 items).
        select = text("SELECT id, key, data, is_eval FROM items WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True))
        for ids in self._match_ids(conn, words):
            found = {int(r[0]): r[:3] for r in conn.execute(select, {"ids": ids}) if not r[3]}
            yield from (found[i] for i in ids if i in found)

    def _match_ids(self, conn: Connection, words: list[tuple[str, bool]]) -> Iterator[list[int]]:
        if self.postgres:
            q = {"q": _ts_query(words)}
            # No ORDER BY here: with one, the planner walks the primary key for a rare word,
            # testing a million documents (0.5 s); without, the GIN index's bitmap finds them.
            first = conn.execute(text(
                "SELECT item, ts_rank(doc, q) FROM items_search, to_tsquery('english', :q) q WHERE doc @@ q "
                "LIMIT :n"), {**q, "n": RANKED}).all()
            rest = ("SELECT item FROM items_search, to_tsquery('english', :q) q WHERE doc @@ q "
                    "AND item <> ALL(:seen) ORDER BY item")
            best = sorted(first, key=lambda r: (-r[1], r[0]))
        else:
            q = {"q": _fts5_query(words)}
            # FTS5 yields matches in rowid order and computes BM25 only for the rows it yields.
            first = conn.execute(text("SELECT rowid, rank FROM items_search WHERE items_search MATCH :q "
                                      "LIMIT :n"), {**q, "n": RANKED}).all()
            rest = "SELECT rowid FROM items_search WHERE items_search MATCH :q AND rowid > :last ORDER BY rowid"
            best = sorted(first, key=lambda r: (r[1], r[0]))  # BM25 rank: lower is better
        ranked = [int(r[0]) for r in best]
        for start in range(0, len(ranked), 256):
            yield ranked[start:start + 256]
        if len(first) < RANKED:
            return
        found = conn.execute(text(rest), {**q, "last": max(ranked), "seen": ranked})
        while batch := found.fetchmany(256):
            yield [int(r[0]) for r in batch]

    def item_rows(self, rowids: Sequence[int]) -> list[ItemRow]:
        """The items with these row ids, in the order given (row ids that name none are left out)."""
        wanted = [int(r) for r in rowids]
        found: dict[int, ItemRow] = {}
        select = text("SELECT id, key, data, is_eval FROM items WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True))
        with read(self._engine) as conn:
            for start in range(0, len(wanted), 500):
                for rowid, key, data, is_eval in conn.execute(select, {"ids": wanted[start:start + 500]}):
                    found[int(rowid)] = ItemRow(int(rowid), key, json.loads(data), bool(is_eval))
        return [found[r] for r in wanted if r in found]

    def search_index_state(self) -> dict[str, Any] | None:
        """What the index holds (``{"columns", "top"}``), or ``None`` before the first search."""
        with read(self._engine) as conn:
            return get_meta(conn, INDEX_META)

    def update_search_index(self, columns: Sequence[str]) -> int:
        """Build the index of ``columns`` (rebuilt when it held others), or add the items imported
        since it was last brought up to date; returns how many items were indexed now."""
        columns = list(columns)
        with read(self._engine) as conn:
            state = get_meta(conn, INDEX_META)
            top = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar())
        if state is not None and state["columns"] == columns and state["top"] >= top:
            return 0  # the usual case: a read, no write lock
        added = 0
        # One write transaction per chunk, each checking the state again under the lock (another
        # process may be building too): answers wait for one chunk at a time (a fraction of a
        # second), not for the whole build (4 s on SQLite, 31 s on PostgreSQL at 1M items).
        while True:
            with write(self._engine) as conn:
                state = get_meta(conn, INDEX_META)
                if state is None or state["columns"] != columns:
                    self._create_index(conn)
                    state = {"columns": columns, "top": 0}
                top = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar())
                done = int(state["top"])
                upto = min(done + _CHUNK, top)
                if upto > done:
                    added += self._index_rows(conn, columns, done, upto)
                set_meta(conn, INDEX_META, {"columns": columns, "top": upto})
            if upto >= top:
                return added

    def _create_index(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP TABLE IF EXISTS items_search")
        if self.postgres:
            conn.exec_driver_sql("CREATE TABLE items_search (item INTEGER PRIMARY KEY, doc TSVECTOR NOT NULL)")
            conn.exec_driver_sql("CREATE INDEX items_search_doc ON items_search USING GIN (doc)")
        else:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE items_search USING fts5(body, content='', "
                                 "tokenize='porter unicode61 remove_diacritics 2')")

    def _index_rows(self, conn: Connection, columns: list[str], low: int, high: int) -> int:
        """Index the items with ``low < id <= high``: one statement, the text joined in the database."""
        bounds = {"lo": low, "hi": high}
        params = {f"c{i}": column for i, column in enumerate(columns)}
        if self.postgres:
            body = " || ' ' || ".join(f"coalesce((data::jsonb) ->> :c{i}, '')" for i in range(len(columns))) or "''"
            result = conn.execute(text(
                f"INSERT INTO items_search (item, doc) SELECT id, to_tsvector('english', {body}) FROM items "
                "WHERE id > :lo AND id <= :hi"), {**bounds, **params})
            return int(result.rowcount)
        if any('"' in column for column in columns):  # a JSON path cannot quote a '"': join in Python
            found = conn.execute(text("SELECT id, data FROM items WHERE id > :lo AND id <= :hi"), bounds).all()
            rows = [{"id": rowid, "body": " ".join(_text(json.loads(data).get(c)) for c in columns)}
                    for rowid, data in found]
            if rows:
                conn.execute(text("INSERT INTO items_search (rowid, body) VALUES (:id, :body)"), rows)
            return len(rows)
        paths = {f"c{i}": '$."' + column + '"' for i, column in enumerate(columns)}
        body = " || ' ' || ".join(f"coalesce(json_extract(data, :c{i}), '')" for i in range(len(columns))) or "''"
        result = conn.execute(text(
            f"INSERT INTO items_search (rowid, body) SELECT id, {body} FROM items WHERE id > :lo AND id <= :hi"),
            {**bounds, **paths})
        return int(result.rowcount)


def _text(value: Any) -> str:
    return "" if value is None else str(value)
