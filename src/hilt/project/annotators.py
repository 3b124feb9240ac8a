"""Annotator names and access tokens (tokens are stored only as SHA-256 hashes), the list of who
labels a project, and the address their links point at."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from hilt.errors import InputError, NotFoundError
from hilt.project.results import AnnotatorRow

if TYPE_CHECKING:
    from hilt.store import Store

__all__ = ["DEFAULT_URL", "annotator_entries", "check_annotator", "check_url", "hash_token", "known_annotator",
           "link_base", "new_token", "record_address"]

#: Where ``hilt serve`` listens unless told otherwise (``--host 127.0.0.1 --port 8000``).
DEFAULT_URL = "http://127.0.0.1:8000"
#: The meta key ``hilt serve`` records its address under when it starts.
_ADDRESS = "server_address"
#: The reserved annotator of labels read from a label column (as :data:`hilt.store.IMPORT_ANNOTATOR`).
_IMPORT = "import"

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


def annotator_entries(store: "Store") -> list[AnnotatorRow]:
    """Who labels the project in ``store`` (:meth:`hilt.Project.annotator_list`): one
    :class:`~hilt.project.results.AnnotatorRow` per person, sorted by name, with ``role`` one of
    ``"annotator"``, ``"reviewer"``, ``"import"``, ``"removed"`` (their token was revoked; their
    answers still count) or ``"no token"`` (answered without one, in the terminal or from Python)."""
    from hilt.project.timing import time_spent

    timed = time_spent(store).by_annotator
    listed = []
    for entry in store.annotator_stats():
        removed_at = entry["removed_at"]
        role = ("import" if entry["name"] == _IMPORT else entry["registered_role"] if entry["registered"]
                else "removed" if removed_at else "no token")
        listed.append(AnnotatorRow(
            name=entry["name"], registered=entry["registered"], added_at=entry["added_at"], answers=entry["answers"],
            retracted=entry["retracted"], last_seen=entry["last_seen"], role=role, removed_at=removed_at,
            median_seconds=timed.get(entry["name"]),
        ))
    return listed


def known_annotator(store: "Store", name: str) -> AnnotatorRow:
    """``name``'s entry of :func:`annotator_entries`, else :class:`hilt.errors.NotFoundError`
    listing the people one may mean: not ``import``, not the removed."""
    entries = {entry.name: entry for entry in annotator_entries(store)}
    if name not in entries:
        others = ", ".join(n for n, entry in entries.items() if entry.role not in ("import", "removed"))
        raise NotFoundError(f"Expected an annotator of this project; {name!r} is not one (annotators: "
                            f"{others or 'none yet'}).")
    return entries[name]


def check_url(url: object) -> str:
    """``url`` without a trailing slash if it is an http(s) address, else :class:`InputError`.

    Examples
    --------
    >>> from hilt.project.annotators import check_url
    >>> check_url("http://labels.example:9000/")
    'http://labels.example:9000'
    >>> check_url("labels.example:9000")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected --url to be an address starting with http:// or https://, like http://127.0.0.1:8000; got 'labels.example:9000'.
    """
    if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url.strip()):
        raise InputError(f"Expected --url to be an address starting with http:// or https://, like {DEFAULT_URL}; "
                         f"got {url!r}.")
    return url.strip().rstrip("/")


def record_address(store: "Store", url: str, at: str) -> None:
    """Record ``url`` as where ``hilt serve`` listens (since ``at``), for the links
    ``hilt annotator add`` prints afterwards."""
    store.set_meta(_ADDRESS, {"url": check_url(url), "at": at})


def link_base(store: "Store", url: str | None = None) -> dict[str, Any]:
    """The address annotator links start with: ``{"url", "source", "at"}``.

    ``source`` says where it came from: ``"given"`` (``url``), ``"served"`` (where ``hilt serve``
    last listened on this project, since ``at``), or ``"default"`` (:data:`DEFAULT_URL`, before
    any ``hilt serve``).
    """
    if url is not None:
        return {"url": check_url(url), "source": "given", "at": None}
    recorded = store.meta().get(_ADDRESS)
    if isinstance(recorded, dict) and recorded.get("url"):
        return {"url": str(recorded["url"]), "source": "served", "at": recorded.get("at")}
    return {"url": DEFAULT_URL, "source": "default", "at": None}
