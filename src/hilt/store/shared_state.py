"""What the server processes over one project share, kept in the project rather than in memory.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern). A
project may be served by several processes at once (``hilt serve`` on several hosts over one
PostgreSQL database, or two processes on one file). Whatever one of them must know of what
another did lives here, in the database or beside the project file:

- **Undo retries.** A client sends an ``undo_id`` with an undo and the same id with every
  retry of it; the retry may land on another process. :meth:`SharedStateMixin._recorded_undo`
  and :meth:`SharedStateMixin._record_undo` keep ``(annotator, undo_id) -> item`` in the
  ``undos`` table, written in the undo's own transaction, so an undo is done once whichever
  process the retry reaches. Rows older than :data:`UNDO_MEMORY_SECONDS` are deleted as new
  ones are written (a retry comes within seconds, not days).
- **The retrain claim.** :meth:`SharedStateMixin.retrain_claim`: one retrain at a time for
  the whole project, not one per process. On PostgreSQL a session-level advisory lock on a
  connection of its own, held for the run; on a project file an ``flock`` on a lock file in the
  project's folder. Both are released by the operating system or the server when the holder
  dies, so a crashed server never blocks retraining.

The ranked queue a run writes (items, scores, the model's guesses) is already in the project;
serving needs nothing else of a trained model.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from sqlalchemy import Connection, Engine, text

from hilt.store.engine import WRITE_LOCK_KEY

try:  # POSIX; elsewhere the in-process lock of the retrain job is all there is
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["RETRAIN_LOCK_KEY", "RETRAIN_LOCK_FILE", "UNDO_MEMORY_SECONDS", "RecordedUndo", "SharedStateMixin"]

#: How long an undo's id is remembered (seconds): far longer than any client retries.
UNDO_MEMORY_SECONDS = 24 * 3600
#: The advisory lock a PostgreSQL project's retrain holds (the write lock's key + 1).
RETRAIN_LOCK_KEY = WRITE_LOCK_KEY + 1
#: The lock file of a project file's retrain, in the project's folder (``reviews.hilt.d``).
RETRAIN_LOCK_FILE = "retrain.lock"


class RecordedUndo(NamedTuple):
    """An undo done before under the same id: the row id of the item it handed back, or ``None``."""

    item: int | None


class SharedStateMixin:
    """Undo retries and the retrain claim: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    # -- undo retries ----------------------------------------------------------------------
    @staticmethod
    def _recorded_undo(conn: Connection, annotator: str, undo_id: str) -> RecordedUndo | None:
        """The undo ``annotator`` already did under ``undo_id``, if any (in the caller's write
        transaction, so a retry racing its first attempt waits for it and then finds it)."""
        found = conn.execute(
            text("SELECT item FROM undos WHERE annotator = :a AND undo_id = :u AND created_at >= :since"),
            {"a": annotator, "u": undo_id, "since": time.time() - UNDO_MEMORY_SECONDS},
        ).first()
        return None if found is None else RecordedUndo(None if found[0] is None else int(found[0]))

    @staticmethod
    def _record_undo(conn: Connection, annotator: str, undo_id: str | None, row: Any) -> Any:
        """Remember that ``annotator``'s undo ``undo_id`` handed back ``row`` (an item row with a
        ``rowid``, or ``None``), in the undo's transaction; forget undos older than a day.
        Returns ``row``. Does nothing without an ``undo_id``."""
        if undo_id is None:
            return row
        now = time.time()
        conn.execute(text("DELETE FROM undos WHERE created_at < :cutoff"), {"cutoff": now - UNDO_MEMORY_SECONDS})
        conn.execute(
            text("INSERT INTO undos (annotator, undo_id, item, created_at) VALUES (:a, :u, :item, :now) "
                 "ON CONFLICT (annotator, undo_id) DO UPDATE SET item = excluded.item, "
                 "created_at = excluded.created_at"),
            {"a": annotator, "u": undo_id, "item": None if row is None else int(row.rowid), "now": now},
        )
        return row

    # -- the retrain claim -----------------------------------------------------------------
    @contextmanager
    def retrain_claim(self, folder: Path | str) -> Iterator[bool]:
        """Claim the project's one retrain for the ``with`` block: yields whether it was won.

        ``False`` means another process (or another project object) over the same project is
        retraining right now: the caller skips its run, since the ranking that run writes is
        served to everyone. ``folder`` is the project's folder (where a project file's lock
        file lives; unused for PostgreSQL). The claim ends with the block, or with its holder's
        process or connection.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from hilt.store import Store
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> store = Store.create(folder / "p.hilt", {"labels": ["a", "b"], "kind": "text"})
        >>> with store.retrain_claim(folder / "p.hilt.d") as won:
        ...     with store.retrain_claim(folder / "p.hilt.d") as again:
        ...         won, again
        (True, False)
        >>> store.close()
        """
        if self.postgres:
            with _advisory_claim(self._engine) as won:
                yield won
        else:
            with _file_claim(Path(folder) / RETRAIN_LOCK_FILE) as won:
                yield won


@contextmanager
def _advisory_claim(engine: Engine) -> Iterator[bool]:
    """``pg_try_advisory_lock`` on a connection of its own, outside the pool and any transaction
    (autocommit): held for the block without keeping a transaction, and so a snapshot, open for
    the length of a run. Closing the connection releases it; so does the server when the
    holding process dies."""
    dialect = engine.dialect
    cargs, cparams = dialect.create_connect_args(engine.url)
    connection = dialect.connect(*cargs, **{"connect_timeout": 10, **cparams})
    try:
        connection.autocommit = True
        won = bool(connection.execute("SELECT pg_try_advisory_lock(%s)", (RETRAIN_LOCK_KEY,)).fetchone()[0])
        yield won
    finally:
        connection.close()  # ends the session, and with it the lock


@contextmanager
def _file_claim(path: Path) -> Iterator[bool]:
    """A non-blocking exclusive ``flock`` on ``path`` (created when missing). Every ``open`` is
    its own claim, so two project objects in one process exclude each other too; the file
    descriptor is not inherited by child processes (Python's default)."""
    if fcntl is None:  # pragma: no cover - Windows: one process, guarded by the job's own lock
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            won = True
        except BlockingIOError:
            won = False
        try:
            yield won
        finally:
            if won:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
