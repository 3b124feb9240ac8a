"""Who is asking: annotator tokens from a header, a cookie, or a page link.

``/api`` calls carry ``Authorization: Bearer TOKEN``; pages are opened from a link
``/?token=TOKEN`` that moves the token into an HttpOnly cookie and redirects to the same page
without it (so the token does not linger in the address bar or the history). The API accepts
the cookie too, which is what the page's own scripts use. The project stores only token hashes;
this module never sees more than the token the request carries.
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["TOKEN_COOKIE", "NotAuthenticated", "request_token", "annotator_for"]

#: Name of the cookie that carries the annotator's token for pages and page scripts.
TOKEN_COOKIE = "hilt_token"


class NotAuthenticated(Exception):
    """No token, or one that belongs to no annotator: answered with 401.

    Parameters
    ----------
    page : bool
        True for a page request (answered with a small HTML page), False for ``/api`` (JSON).
    """

    def __init__(self, page: bool) -> None:
        super().__init__("A valid annotator token is required.")
        self.page = page


def request_token(request: Request) -> str | None:
    """The token a request carries: the ``Bearer`` header first, else the cookie.

    Examples
    --------
    >>> from starlette.requests import Request
    >>> scope = {"type": "http", "headers": [(b"authorization", b"Bearer abc")]}
    >>> request_token(Request(scope))
    'abc'
    >>> request_token(Request({"type": "http", "headers": []})) is None
    True
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


def annotator_for(request: Request, token: str | None, *, page: bool) -> str:
    """The annotator name that ``token`` belongs to, or raise :class:`NotAuthenticated`."""
    if token:
        name = request.app.state.project.annotator_for_token(token)
        if name:
            return name
    raise NotAuthenticated(page=page)
