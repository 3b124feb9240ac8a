"""Who labels a project: the :class:`Team` service (annotators, roles, tokens, the link address).

The rules for names and tokens (stored only as SHA-256 hashes) are functions in
:mod:`hilt.project.annotators`; the rows live in the store (:mod:`hilt.store.annotators`).
"""

from __future__ import annotations

from hilt.errors import ForbiddenError
from hilt.project.annotators import (
    annotator_entries,
    check_annotator,
    hash_token,
    known_annotator,
    link_base,
    new_token,
    record_address,
)
from hilt.project.results import AnnotatorRow
from hilt.store import Store, utc_now
from hilt.store.store import ANNOTATOR, REVIEWER

__all__ = ["Team"]


class Team:
    """Annotators and reviewers of the project in ``store``, and their access tokens."""

    def __init__(self, store: Store):
        self._store = store

    def add_annotator(self, name: str, *, reviewer: bool | None = None) -> str:
        """Register ``name`` and return a fresh access token (an earlier token stops working).

        ``reviewer=True`` makes them a reviewer (they may also label), ``False`` an annotator;
        ``None`` keeps the role of someone already registered (a new name is an annotator).
        """
        check_annotator(name)
        token = new_token()
        role = None if reviewer is None else (REVIEWER if reviewer else ANNOTATOR)
        self._store.set_annotator_token(name, hash_token(token), role=role)
        return token

    def annotator_for_token(self, token: str) -> str | None:
        """The annotator a token belongs to, or ``None``."""
        if not isinstance(token, str) or not token:
            return None
        return self._store.annotator_by_token_hash(hash_token(token))

    def annotators(self) -> list[str]:
        """Registered annotators and everyone who answered (including ``"import"``), sorted."""
        return self._store.annotator_names()

    def annotator_list(self) -> list[AnnotatorRow]:
        """Who labels this project: one dict per annotator, sorted by name.

        Keys: ``name``; ``role`` (``"annotator"``: has a token for the web UI; ``"reviewer"``: has
        one and may review disagreements; ``"import"``: labels
        read from a label column; ``"removed"``: their token was revoked by
        :meth:`remove_annotator`; ``"no token"``: answered without a token, e.g. in the terminal
        or from Python); ``answers`` (current answers, skips included); ``retracted``;
        ``added_at``, ``last_seen`` (their latest answer or undo) and ``removed_at`` (ISO UTC or
        ``None``).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     _ = project.add_annotator("ada")
        ...     [(a["name"], a["role"], a["answers"]) for a in project.annotator_list()]
        [('ada', 'annotator', 0)]
        """
        return annotator_entries(self._store)

    def remove_annotator(self, name: str) -> dict:
        """Revoke ``name``'s token at once and release the item they hold; their answers stay.

        Returns ``{"name", "revoked" (they had a token), "answers" (kept)}``. Raises
        :class:`hilt.errors.NotFoundError` for a name the project does not know (listing the
        annotators it has, not those removed).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     token = project.add_annotator("ada")
        ...     project.remove_annotator("ada")["revoked"], project.annotator_for_token(token)
        (True, None)
        """
        check_annotator(name)
        entry = known_annotator(self._store, name)
        revoked = self._store.remove_annotator(name)
        return {"name": name, "revoked": revoked, "answers": entry["answers"]}

    def is_reviewer(self, name: str) -> bool:
        """Whether ``name`` was added as a reviewer (``add_annotator(name, reviewer=True)``)."""
        return self._store.annotator_role(name) == REVIEWER

    def check_reviewer(self, name: str) -> None:
        """Raise :class:`hilt.errors.ForbiddenError` unless ``name`` is a reviewer."""
        if not self.is_reviewer(name):
            raise ForbiddenError(
                f"Expected a reviewer; {name!r} is not one. Add one with: hilt annotator add PROJECT NAME --reviewer"
            )

    def record_address(self, url: str) -> None:
        """Record ``url`` (``http://HOST:PORT``) as where this project is served: ``hilt serve``
        calls it once it listens, and :meth:`link_base` then gives it to ``hilt annotator add``."""
        record_address(self._store, url, utc_now())

    def link_base(self, url: str | None = None) -> dict:
        """Where annotator links point: ``url`` if given, else where ``hilt serve`` last listened
        on this project, else ``http://127.0.0.1:8000``; ``{"url", "source" ("given", "served" or
        "default"), "at" (when it was recorded)}``.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     before = project.link_base()["url"]
        ...     project.record_address("http://127.0.0.1:9123")
        ...     before, project.link_base()["url"], project.link_base()["source"]
        ('http://127.0.0.1:8000', 'http://127.0.0.1:9123', 'served')
        """
        return link_base(self._store, url)
