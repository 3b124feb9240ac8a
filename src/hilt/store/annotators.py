"""The annotators of a project file: listing them with what they did, and removing one.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).

A removed person's token row is deleted; that they were removed is kept as the meta key
``removed_annotator:NAME`` (the time), written in the same transaction and deleted when they
get a token again. One key per name, so two removals at once never overwrite each other, and no
schema change.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from hilt.store.common import ANNOTATOR, set_meta, utc_now
from hilt.store.engine import read, write

__all__ = ["AnnotatorsMixin", "REMOVED_PREFIX"]

#: The meta key prefix that marks a removed annotator (``removed_annotator:ada``).
REMOVED_PREFIX = "removed_annotator:"


class AnnotatorsMixin:
    """Listing and removing annotators: methods of :class:`hilt.store.Store`."""

    _engine: Any

    def annotator_stats(self) -> list[dict[str, Any]]:
        """Registered annotators and everyone who answered, sorted by name: ``name``,
        ``registered`` (has a token), ``added_at``, ``answers`` (current answers, skips
        included), ``retracted``, ``last_seen`` (their latest answer or undo, ISO UTC),
        ``registered_role`` (``"annotator"`` or ``"reviewer"``; ``None`` when not registered) and
        ``removed_at`` (when :meth:`remove_annotator` removed them and no token was given since,
        else ``None``)."""
        with read(self._engine) as conn:
            registered = {name: (at, role) for name, at, role in conn.execute(
                text("SELECT name, created_at, role FROM annotators"))}
            # Filtered here: meta is a few rows, and neither LIKE ("_" is a wildcard) nor a key range
            # (PostgreSQL's collation may not order punctuation bytewise) matches a prefix exactly.
            removed = {key[len(REMOVED_PREFIX):]: json.loads(value) for key, value in conn.execute(
                text("SELECT key, value FROM meta")) if key.startswith(REMOVED_PREFIX)}
            rows = conn.execute(text(
                "SELECT annotator, SUM(CASE WHEN retracted = 0 THEN 1 ELSE 0 END), SUM(retracted), "
                "CASE WHEN MAX(created_at) >= COALESCE(MAX(retracted_at), '') THEN MAX(created_at) "
                "ELSE MAX(retracted_at) END FROM answers GROUP BY annotator")).all()
        answered = {name: (int(n), int(r), last) for name, n, r, last in rows}
        return [
            {"name": name, "registered": name in registered, "added_at": registered.get(name, (None, None))[0],
             "registered_role": registered.get(name, (None, None))[1],
             "answers": answered.get(name, (0, 0, None))[0], "retracted": answered.get(name, (0, 0, None))[1],
             "last_seen": answered.get(name, (0, 0, None))[2],
             "removed_at": None if name in registered else removed.get(name)}
            for name in sorted(set(registered) | set(answered))
        ]

    def remove_annotator(self, name: str) -> bool:
        """Delete ``name``'s token (it stops working at once), release their leases and mark
        them removed (``removed_at`` in :meth:`annotator_stats`); their answers stay. Returns
        whether ``name`` was registered."""
        with write(self._engine) as conn:
            found = conn.execute(text("DELETE FROM annotators WHERE name = :n"), {"n": name}).rowcount
            conn.execute(text("DELETE FROM leases WHERE annotator = :n"), {"n": name})
            set_meta(conn, REMOVED_PREFIX + name, utc_now())
        return bool(found)

    def set_annotator_token(self, name: str, token_hash: str, *, role: str | None = None) -> None:
        """Register ``name`` with a token hash, replacing any earlier token (rotation).

        ``role``: ``"annotator"`` or ``"reviewer"``; ``None`` keeps a registered person's role
        (a new one becomes an annotator).
        """
        with write(self._engine) as conn:
            conn.execute(
                text("INSERT INTO annotators (name, token_hash, created_at, role) VALUES (:n, :h, :now, :role) "
                     "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash"
                     + ("" if role is None else ", role = excluded.role")),
                {"n": name, "h": token_hash, "now": utc_now(), "role": role or ANNOTATOR},
            )
            conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": REMOVED_PREFIX + name})

    def annotator_by_token_hash(self, token_hash: str) -> str | None:
        with read(self._engine) as conn:
            return conn.execute(text("SELECT name FROM annotators WHERE token_hash = :h"),
                                {"h": token_hash}).scalar()

    def annotator_role(self, name: str) -> str | None:
        """``"annotator"`` or ``"reviewer"`` for a registered name, else ``None``."""
        with read(self._engine) as conn:
            return conn.execute(text("SELECT role FROM annotators WHERE name = :n"), {"n": name}).scalar()

    def annotator_names(self) -> list[str]:
        """Registered annotators and everyone who has answered, sorted."""
        with read(self._engine) as conn:
            return sorted(conn.execute(text(
                "SELECT name FROM annotators UNION SELECT DISTINCT annotator FROM answers")).scalars())
