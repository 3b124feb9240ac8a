"""Annotator names and access tokens (tokens are stored only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets

from hilt.errors import InputError

__all__ = ["check_annotator", "hash_token", "new_token"]

_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def check_annotator(name: object, *, allow_import: bool = False) -> str:
    """Return ``name`` if it is a valid annotator name, else raise :class:`InputError`.

    Examples
    --------
    >>> from hilt.project.annotators import check_annotator
    >>> check_annotator("ada@lab")
    'ada@lab'
    >>> check_annotator("two words")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected an annotator name of 1-64 letters, digits or _-.@; got 'two words'.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"Expected an annotator name of 1-64 letters, digits or _-.@; got {name!r}.")
    if name == "import" and not allow_import:
        raise InputError(
            "The annotator name 'import' is reserved for labels read from a label column; choose another."
        )
    return name


def new_token() -> str:
    """A fresh, unguessable access token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest a token is stored as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
