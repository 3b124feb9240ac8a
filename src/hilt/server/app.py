"""The FastAPI application over one project: ``create_app(location)``.

Several ``hilt serve`` processes may serve one project at once (a PostgreSQL project behind a
load balancer): the app keeps nothing in memory that another process would need to know (undo
retries and the retrain claim live in the project: :mod:`hilt.store.shared_state`). When the
database cannot be reached for a moment (restarted, failed over, the network down), requests get
a 503 that says to retry (:func:`unavailable_reason`), never a 500, and once it is back the
engine's pre-ping reconnects.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from hilt.errors import HiltError, InputError
from hilt.server import api, media, pages, search
from hilt.server.auth import NotAuthenticated
from hilt.store.availability import DATABASE_ERRORS, unavailable

__all__ = ["RETRY_AFTER_SECONDS", "create_app", "unavailable_reason"]

#: Defence in depth behind ``textContent``: no inline or foreign script can run on our pages.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

log = logging.getLogger("hilt.server")


class SecurityHeaders:
    """Plain ASGI middleware adding security headers (cheaper than ``BaseHTTPMiddleware``).

    It also adds ``Server-Timing: app;dur=MS``: the time from the request reaching the app to
    its reply starting, waits for a thread or the write lock included. ``bench/bench_server.py``
    reports it beside the latency the clients measure, which separates the server's own time
    from the load generator's and the network's.
    """

    def __init__(self, app, csp: str = CSP) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api")
        started = time.perf_counter()

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers += [
                    (b"server-timing", f"app;dur={elapsed_ms:.2f}".encode()),
                    (b"content-security-policy", self.csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def validation_message(errors: Any) -> str:
    """One sentence for FastAPI's request validation errors: what was expected, what came.

    Examples
    --------
    >>> validation_message([{"type": "json_invalid", "loc": ("body", 12), "msg": "JSON decode error"}])
    'Expected a JSON body; the request body is not valid JSON (at character 12).'
    >>> validation_message([{"type": "missing", "loc": ("body", "item_id"), "msg": "Field required"}])
    'Expected a valid request; body.item_id: Field required.'
    >>> validation_message([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    'Expected a JSON body; the request has none.'
    """
    errors = list(errors or [])
    for problem in errors:
        if problem.get("type") == "json_invalid":
            where = problem.get("loc", ())
            at = f" (at character {where[1]})" if len(where) > 1 and isinstance(where[1], int) else ""
            return f"Expected a JSON body; the request body is not valid JSON{at}."
        if problem.get("type") == "missing" and tuple(problem.get("loc", ())) == ("body",):
            return "Expected a JSON body; the request has none."
    parts = [".".join(str(p) for p in problem.get("loc", ())) + ": " + str(problem.get("msg", "invalid"))
             for problem in errors[:3]]
    return "Expected a valid request; " + ("; ".join(parts) or "the request did not match the API") + "."


#: The ``Retry-After`` of a 503 (seconds): a database restart takes a few.
RETRY_AFTER_SECONDS = 2

_DATABASE_DOWN = (
    "The project's database is unreachable right now (it may be restarting, or the network to it "
    "is down). Retry in a few seconds: an answer retried with the same answer_id (an undo with the "
    "same undo_id) is stored once, so nothing is lost or counted twice."
)
_FILE_BUSY = (
    "The project file is busy: another process has held its write lock for longer than hilt waits. "
    "Retry in a few seconds: an answer retried with the same answer_id is stored once."
)


def unavailable_reason(error: BaseException) -> str | None:
    """The message for a database error that means "not reachable now, retry"
    (:func:`hilt.store.availability.unavailable`), or ``None`` for any other error (a bug,
    answered with 500).

    Examples
    --------
    >>> import sqlite3
    >>> unavailable_reason(sqlite3.OperationalError("database is locked")).startswith("The project file is busy")
    True
    >>> unavailable_reason(ValueError("x")) is None
    True
    """
    return {"database": _DATABASE_DOWN, "file": _FILE_BUSY}.get(unavailable(error) or "")


def create_app(project_path: Any) -> FastAPI:
    """Build the web app (labelling page, dashboard, JSON API) over one project.

    Parameters
    ----------
    project_path : str, Path or hilt.Project
        The project to open (a file, or the ``postgresql://`` URL of a project's database), or a
        project already open (the caller then closes it). Any number of apps, in one process or
        in many, may serve one project at once.

    Returns
    -------
    fastapi.FastAPI
        Serve it with uvicorn; ``hilt serve`` does that.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hilt import Project
    >>> from hilt.server import create_app
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = [{"text": f"review {i}"} for i in range(20)]
    >>> import pandas as pd
    >>> Project.create(folder / "p.hilt", pd.DataFrame(rows), ["good", "bad"]).close()
    >>> app = create_app(folder / "p.hilt")
    >>> from fastapi.testclient import TestClient
    >>> with TestClient(app) as client:
    ...     client.get("/api/next").status_code
    401
    """
    from hilt.project import Project

    owned = not isinstance(project_path, Project)
    project = Project.open(project_path) if owned else project_path

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Build the item features before the first request, not in the first retrain while
        # people label (seconds for a large pool, during which answers would slow down).
        try:
            source = project.warm()
            log.info("Item features ready (%s).", source)
        except InterruptedError:  # items changed while building: the first retrain builds them
            log.warning("Item features not prepared; the first retrain builds them.")
        try:
            yield
        finally:
            if owned:
                project.close()

    app = FastAPI(title="hilt", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.project = project
    app.state.write_lock = threading.Lock()

    @app.exception_handler(HiltError)
    async def hilt_error(request: Request, error: HiltError) -> JSONResponse:
        return JSONResponse({"error": str(error), "type": type(error).__name__}, status_code=error.http_status)

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, error: NotAuthenticated):
        if error.page:
            return pages.templates.TemplateResponse(
                request, "unauthorized.html", pages.unauthorized_context(request), status_code=401)
        return JSONResponse(
            {"error": "A valid annotator token is required: send 'Authorization: Bearer TOKEN' "
             "(from `hilt annotator add PROJECT NAME`)."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # A body that is not JSON, or JSON without the fields asked for, is a user mistake like
        # any other: hilt's error body, not FastAPI's own list of pydantic errors.
        message = validation_message(error.errors())
        return JSONResponse({"error": message, "type": InputError.__name__}, status_code=InputError.http_status)

    async def database_error(request: Request, error: Exception) -> Response:
        message = unavailable_reason(error)
        if message is None:  # not "unreachable": a bug like any other, for the catch-all below
            raise error
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
        log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, reason)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if not request.url.path.startswith("/api"):  # a page: a page that reloads itself
            return pages.templates.TemplateResponse(
                request, "unavailable.html", {"message": message}, status_code=503,
                headers={**headers, "Refresh": str(RETRY_AFTER_SECONDS * 2)})
        return JSONResponse({"error": message, "type": "Unavailable", "retry": True}, status_code=503,
                            headers=headers)

    # Handlers of these classes answer without re-raising (unlike the catch-all below, which
    # the server logs again as a crash): an unreachable database is expected, not a bug.
    for error_class in DATABASE_ERRORS:
        app.add_exception_handler(error_class, database_error)

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the server log, never to the client.
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "Internal server error."}, status_code=500)

    # A project whose image column holds web addresses shows them as given: the page's images
    # (never its scripts) may then come from other sites.
    images = project.image_source
    app.add_middleware(SecurityHeaders, csp=CSP.replace("img-src 'self' data:", "img-src 'self' data: https: http:")
                       if images is not None else CSP)
    app.mount("/static", StaticFiles(directory=str(pages.WEB_DIR / "static")), name="static")
    app.include_router(search.router)  # before api's catch-all for unknown /api calls
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(media.router)
    return app
