"""Storing checked suggestions, and the cold-start order they seed.

Shared by the :class:`~hilt.project.suggestions.Suggestions` service and the item import (a
suggestion column), below both.
"""

from __future__ import annotations

from typing import Any

from hilt.errors import InputError
from hilt.store import Store

__all__ = ["check_source", "seed_cold_start", "store_suggestions"]


def store_suggestions(store: Store, strategy: str, source: str, rows: list[tuple[str, str, float | None]]) -> int:
    """Store checked ``(item id, stored answer, score)`` rows from ``source`` and seed the cold
    start with them (:func:`seed_cold_start`); returns how many were stored."""
    written = store.write_suggestions(check_source(source), rows)
    seed_cold_start(store, strategy)
    return written


def seed_cold_start(store: Store, strategy: str) -> int:
    """Before the project's first model, serve the items with a scored suggestion first, least
    confident first (:meth:`hilt.store.Store.write_cold_queue`); returns how many are queued.
    Not with the ``random`` strategy, whose order is the point (an unbiased sample): a cold-start
    queue written before the project changed to it is dropped."""
    return store.write_cold_queue(clear=strategy == "random")


def check_source(source: Any) -> str:
    """A suggestion source name as stored: 1-100 characters of text."""
    if not isinstance(source, str) or not 1 <= len(source.strip()) <= 100:
        raise InputError(f"Expected the suggestions' source (the model's name) to be 1-100 characters; got {source!r}.")
    return source.strip()
