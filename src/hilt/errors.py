"""One family of user-facing errors.

User mistakes (bad input, a missing column, an unknown strategy) raise a :class:`HiltError`.
It subclasses :class:`ValueError`, so code written against the public contract (which says
``ValueError``) keeps working. The CLI turns it into a one-paragraph message and exit code 2,
the web server into a 4xx JSON body. Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["HiltError", "InputError", "NotFoundError", "ConflictError", "ForbiddenError"]


class HiltError(ValueError):
    """A user mistake: the message says what was expected, what came, and where."""

    #: HTTP status the web server answers with.
    http_status: int = 400


class InputError(HiltError):
    """Bad data: a file, a column, a row or an argument that does not fit."""


class NotFoundError(HiltError):
    """Something named does not exist (a project file, an item, an annotator)."""

    http_status = 404


class ConflictError(HiltError):
    """The request clashes with the current state (e.g. an item leased to someone else)."""

    http_status = 409


class ForbiddenError(HiltError):
    """The person is known but their role does not allow this (e.g. a review by a non-reviewer)."""

    http_status = 403
