"""The pages: labelling (``/``), review (``/review``, reviewers only) and the dashboard
(``/dashboard``), rendered with Jinja2.

Autoescaping is on for every template, and item text never passes through a template at all:
the page script fetches it from ``/api/next`` and inserts it with ``textContent``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hilt.project.keys import LABEL_KEYS, NONE_KEY, label_keys
from hilt.project.results import Agreement, RunSummary
from hilt.project.timing import seconds_text
from hilt.store.location import ProjectLocation
from hilt.tasks import get_task
from hilt.server.auth import TOKEN_COOKIE, annotator_for, request_token
from hilt.server.charts import responsive_learning_curve

__all__ = ["router", "templates", "WEB_DIR", "label_keys", "LABEL_KEYS", "NONE_KEY", "project_name", "task_context",
           "guide_context"]

#: The package folder with ``templates/`` and ``static/``.
WEB_DIR = Path(str(resources.files("hilt.web")))

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)


def project_name(location: Any) -> str:
    """What the pages and download names call a project: its file's name without the suffix, or
    its database's name (never the user, host or password of a ``postgresql://`` URL).

    Examples
    --------
    >>> project_name(Path("/data/reviews.hilt"))
    'reviews'
    >>> project_name("postgresql://ana:secret@db.example:5432/labels?sslmode=require")
    'labels'
    """
    location = ProjectLocation.of(location)
    if location.is_database:
        return urlsplit(location.url).path.strip("/") or "hilt"
    return location.path.stem


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
templates.env.filters["seconds"] = seconds_text

# The keys that choose labels: hilt.project.keys, the same scheme as ``hilt label``.


def unauthorized_context(request: Request) -> dict:
    """What the no-token page needs: the address this server is really reached at."""
    return {"base_url": str(request.base_url).rstrip("/")}

router = APIRouter()


def image_context(project: Any) -> dict | None:
    """Which shown columns the page draws as an image (``{"side", "pixels"}``), or ``None``:
    decided by :mod:`hilt.project.image_view`, so the page and ``hilt label`` agree. Only shown
    columns can be pixels, and item data carries no others: nothing hidden reaches the page."""
    view = project.image_view
    return None if view is None else view.to_json()

def picture_context(project: Any) -> dict | None:
    """The column of image paths or URLs the page shows as an ``<img>`` (``{"column", "served"}``:
    ``served`` when an image folder is set, so paths are fetched from ``/media/``), or ``None``.
    The folder itself never reaches the page."""
    source = project.image_source
    if source is None:
        return None
    return {"column": source["column"], "served": source["folder"] is not None}

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



#: What the button that saves the ticked labels says, per page.
SUBMIT_TEXT = {"label.html": "save the ticked labels", "review.html": "decide the ticked labels"}
#: ... and the one that saves the marked spans (a spans project).
SUBMIT_SPANS_TEXT = {"label.html": "save the marked spans", "review.html": "decide the marked spans"}


def task_context(project: Any, template: str) -> dict:
    """What the label buttons need to know of the project's task (:mod:`hilt.tasks`): its name
    (the page config's ``task``), whether its widget is toggles (``multilabel``: keys tick labels,
    Enter saves the set) or the marking widget (``spans``: the text as tokens, keys mark spans,
    Enter saves the marks) rather than one button per answer, the none key and the save
    button's text.

    Examples
    --------
    >>> class Project:
    ...     task = "multilabel"
    >>> context = task_context(Project(), "label.html")
    >>> context["task"], context["multilabel"], context["none_key"], context["submit_text"]
    ('multilabel', True, '-', 'save the ticked labels')
    """
    task = get_task(project.task)
    spans = task.widget == "spans"
    return {"task": task.name, "multilabel": task.widget == "toggles", "spans": spans, "none_key": NONE_KEY,
            "submit_text": (SUBMIT_SPANS_TEXT if spans else SUBMIT_TEXT).get(template, "save")}


def guide_context(project: Any) -> dict:
    """What the labelling and review pages show besides the item: the guidelines (their HTML,
    rendered safely once when they were set: :mod:`hilt.project.guidelines`; ``None`` without),
    a version that opens the panel again after a change, each label's description, and the idle
    cap of the focus clock (``timing.js``; ``HILT_IDLE_SECONDS``). Read from the project at every
    page load, so ``hilt config`` reaches a running server without a restart."""
    from hilt import settings

    guidelines = project.guidelines
    return {"guidelines_html": None if guidelines is None else guidelines.html,
            "guidelines_version": "" if guidelines is None else guidelines.updated_at,
            "descriptions": project.label_descriptions, "idle_seconds": settings.IDLE_SECONDS.read()}


def _project_context(request: Request, annotator: str) -> dict:
    project = request.app.state.project
    return {"annotator": annotator, "project_name": project_name(project.location), "labels": list(project.labels),
            "reviewer": project.is_reviewer(annotator)}


@router.get("/", response_class=HTMLResponse)
def labelling_page(request: Request):
    """The keyboard-first labelling page."""
    who = _page_annotator(request)
    if isinstance(who, RedirectResponse):
        return who
    context = _project_context(request, who)
    context["keys"] = label_keys(context["labels"])
    context["image"] = image_context(request.app.state.project)
    context["picture"] = picture_context(request.app.state.project)
    context.update(task_context(request.app.state.project, "label.html"))
    context.update(guide_context(request.app.state.project))
    return templates.TemplateResponse(request, "label.html", context)


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request):
    """The keyboard-first review page: a reviewer settles disagreements and likely label errors.

    The items come from ``GET /api/review`` (the page script inserts their text with
    ``textContent``); an annotator who is not a reviewer gets a 403 page that says how to
    become one.
    """
    who = _page_annotator(request)
    if isinstance(who, RedirectResponse):
        return who
    context = _project_context(request, who)
    context["keys"] = label_keys(context["labels"])
    context["image"] = image_context(request.app.state.project)
    context["picture"] = picture_context(request.app.state.project)
    context.update(task_context(request.app.state.project, "review.html"))
    context.update(guide_context(request.app.state.project))
    if not context["reviewer"]:
        return templates.TemplateResponse(request, "not_reviewer.html", context, status_code=403)
    return templates.TemplateResponse(request, "review.html", context)


#: No-break space: between a number and its ``%`` so that a narrow screen never wraps them apart.
NBSP = "\u00a0"


def percent(value: float | None) -> str:
    """A share as a whole percent, as the dashboard writes them.

    Examples
    --------
    >>> percent(0.7249), percent(1.0), percent(None)
    ('72\xa0%', '100\xa0%', '—')
    """
    return "—" if value is None else f"{value * 100:.0f}{NBSP}%"


def accuracy_text(run: RunSummary | None) -> str | None:
    """The latest evaluation accuracy in words, with its 95 % interval and how many evaluation
    items stand behind it; ``None`` when the run has no evaluation accuracy.

    Examples
    --------
    Numbers and their ``%`` are joined by no-break spaces (a line never starts with ``%``).

    >>> def run(accuracy, ci, n_eval):
    ...     return RunSummary(20, accuracy, n_eval, "margin", "2026-12-07T10:00:00+00:00",
    ...                       "2026-12-07T10:00:01+00:00", ci)
    >>> text = accuracy_text(run(0.72, [0.61, 0.81], 45))
    >>> text.replace(NBSP, " ")
    '72 % (95 % CI 61–81 %) on 45 evaluation items'
    >>> accuracy_text(run(1.0, None, 1)).replace(NBSP, " ")
    '100 % on 1 evaluation item'
    >>> accuracy_text(run(None, None, 0)) is None
    True
    """
    if run is None or run.eval_accuracy is None:
        return None
    text = percent(run.eval_accuracy)
    interval = run.eval_ci
    if interval:
        text += f" (95{NBSP}% CI {interval[0] * 100:.0f}–{interval[1] * 100:.0f}{NBSP}%)"
    n_eval = int(run.n_eval or 0)
    return text + f" on {n_eval} evaluation item{'' if n_eval == 1 else 's'}"


def agreement_context(agreement: Agreement | None) -> dict | None:
    """The agreement panel's rows from ``status().agreement``; ``None`` without overlap."""
    if agreement is None or not agreement.n_items:
        return None
    by_annotator = sorted(agreement.by_annotator.items(), key=lambda kv: (-kv[1].n_items, kv[0]))
    pairs = sorted(agreement.pairs.items(), key=lambda kv: (-kv[1].n_items, kv[0]))
    per_label = agreement.per_label
    return {
        "n_items": agreement.n_items,
        "alpha": agreement.alpha,
        # Multi-label: alpha is over whole sets (MASI distance), and each label has its own.
        "per_label": None if per_label is None else list(per_label.items()),
        "by_annotator": [(name, row.n_items, row.agree) for name, row in by_annotator],
        "pairs": [(pair.replace("|", " · "), row.n_items, row.kappa) for pair, row in pairs],
    }


#: A multi-label run's figures as the dashboard names them, in the order it lists them (the
#: first is the headline, also in ``eval_accuracy``).
SET_FIGURES = (("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("subset_accuracy", "subset accuracy"),
               ("hamming_loss", "Hamming loss"))


def figure_rows(run: RunSummary | None) -> list[tuple[str, str]]:
    """A multi-label run's figures on the evaluation sample as ``(name, "value (95 % CI)")``
    rows; ``[]`` for a single-label run (its accuracy has its own row).

    Examples
    --------
    >>> run = RunSummary(40, 0.7, 12, "margin", "2026-12-07T10:00:00+00:00", "2026-12-07T10:00:01+00:00",
    ...                  [0.6, 0.8], {"micro_f1": {"value": 0.7, "ci": [0.6, 0.8]},
    ...                               "hamming_loss": {"value": 0.125, "ci": None}})
    >>> [(name, text.replace(NBSP, " ")) for name, text in figure_rows(run)]
    [('micro-F1', '70.0 % (95 % CI 60–80 %)'), ('Hamming loss', '12.5 %')]
    """
    metrics = getattr(run, "metrics", None) or {}
    rows = []
    for key, name in SET_FIGURES:
        figure = metrics.get(key)
        if not figure or figure.get("value") is None:
            continue
        text = f"{figure['value'] * 100:.1f}{NBSP}%"
        interval = figure.get("ci")
        if interval:
            text += f" (95{NBSP}% CI {interval[0] * 100:.0f}–{interval[1] * 100:.0f}{NBSP}%)"
        rows.append((name, text))
    return rows


def dashboard_context(request: Request, annotator: str) -> dict:
    """Everything the dashboard shows, from one ``project.status()`` call."""
    status = request.app.state.project.status()
    runs = status.runs
    n_items = status.n_items
    n_left = status.n_left
    by_label = status.by_label
    total_labels = sum(by_label.values()) or 1
    context = _project_context(request, annotator)
    multilabel = get_task(status.task).multilabel
    # The headline figure: accuracy for one label per item, micro-F1 for label sets.
    figure = "micro-F1" if multilabel else "accuracy"
    latest_run = runs[-1] if runs else None
    context.update(
        status=status,
        figure=figure,
        figure_rows=figure_rows(latest_run),
        multilabel=multilabel,
        n_left=n_left,
        done_share=(n_items - n_left) / n_items if n_items else 0.0,
        by_label=[(label, n, n / total_labels) for label, n in by_label.items()],
        by_annotator=sorted(status.by_annotator.items(), key=lambda kv: -kv[1]),
        latest_run=latest_run,
        # The chart's latest point: the latest run that had evaluation labels to score.
        latest_accuracy=accuracy_text(next((r for r in reversed(runs) if r.eval_accuracy is not None), None)),
        agreement=agreement_context(status.agreement),
        n_runs=len(runs),
        chart=responsive_learning_curve(runs, title=f"Evaluation {figure} by number of training labels",
                                        axis=f"eval {figure}"),
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
