"""The two pages: labelling (``/``) and the dashboard (``/dashboard``), rendered with Jinja2.

Autoescaping is on for every template, and item text never passes through a template at all:
the page script fetches it from ``/api/next`` and inserts it with ``textContent``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hilt.project.keys import LABEL_KEYS, label_keys
from hilt.server.auth import TOKEN_COOKIE, annotator_for, request_token
from hilt.server.charts import learning_curve_svg

__all__ = ["router", "templates", "WEB_DIR", "label_keys", "LABEL_KEYS"]

#: The package folder with ``templates/`` and ``static/``.
WEB_DIR = Path(str(resources.files("hilt.web")))

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)



def when(value: str | None) -> str:
    """An ISO-8601 UTC time as ``2024-05-01 12:03:04 UTC``; ``running…`` when there is none.

    Examples
    --------
    >>> when("2024-05-01T12:03:04.123456+00:00")
    '2024-05-01 12:03:04 UTC'
    >>> when(None)
    'running…'
    """
    if not value:
        return "running…"
    text = str(value).replace("T", " ")
    return text[:19] + " UTC" if len(text) >= 19 else text


templates.env.filters["when"] = when

# The keys that choose labels: hilt.project.keys, the same scheme as ``hilt label``.


def unauthorized_context(request: Request) -> dict:
    """What the no-token page needs: the address this server is really reached at."""
    return {"base_url": str(request.base_url).rstrip("/")}

router = APIRouter()

#: How long the token cookie lives (the annotator's link sets it again at any time).
COOKIE_SECONDS = 30 * 24 * 3600


def _page_annotator(request: Request) -> str | RedirectResponse:
    """The annotator for a page request; a ``?token=`` link becomes a cookie and a redirect."""
    link_token = request.query_params.get("token")
    if link_token is not None:
        annotator_for(request, link_token, page=True)  # 401 page for a bad link
        rest = {k: v for k, v in request.query_params.items() if k != "token"}
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        redirect = RedirectResponse(target, status_code=303)
        redirect.set_cookie(
            TOKEN_COOKIE, link_token, max_age=COOKIE_SECONDS, httponly=True, samesite="strict", path="/"
        )
        return redirect
    return annotator_for(request, request_token(request), page=True)


def _project_context(request: Request, annotator: str) -> dict:
    project = request.app.state.project
    return {"annotator": annotator, "project_name": Path(project.path).stem, "labels": list(project.labels)}


@router.get("/", response_class=HTMLResponse)
def labelling_page(request: Request):
    """The keyboard-first labelling page."""
    who = _page_annotator(request)
    if isinstance(who, RedirectResponse):
        return who
    context = _project_context(request, who)
    context["keys"] = label_keys(len(context["labels"]))
    return templates.TemplateResponse(request, "label.html", context)


def dashboard_context(request: Request, annotator: str) -> dict:
    """Everything the dashboard shows, from one ``project.status()`` call."""
    status = request.app.state.project.status()
    runs = status.get("runs") or []
    n_items = status.get("n_items", 0)
    n_left = status["n_left"]
    by_label = status.get("by_label") or {}
    total_labels = sum(by_label.values()) or 1
    context = _project_context(request, annotator)
    context.update(
        status=status,
        n_left=n_left,
        done_share=(n_items - n_left) / n_items if n_items else 0.0,
        by_label=[(label, n, n / total_labels) for label, n in by_label.items()],
        by_annotator=sorted((status.get("by_annotator") or {}).items(), key=lambda kv: -kv[1]),
        latest_run=runs[-1] if runs else None,
        n_runs=len(runs),
        chart=learning_curve_svg(runs),
    )
    return context


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request):
    """Progress, per label and per annotator, the learning curve, the latest run, the export."""
    who = _page_annotator(request)
    if isinstance(who, RedirectResponse):
        return who
    context = dashboard_context(request, who)
    # The page script refreshes the body alone every few seconds.
    name = "_dashboard_body.html" if request.query_params.get("partial") else "dashboard.html"
    return templates.TemplateResponse(request, name, context)
