"""Search and bulk labelling over HTTP: ``/api/search``, ``/api/similar``, ``/api/label-many``,
``/api/undo-batch``, and the ``/search`` page. One project call per endpoint
(:mod:`hilt.project.search`); included by the app before the other API routes.

Items come back as the labelling page gets them (:func:`hilt.server.api.item_json`): no
``is_eval``, only the columns people see; the page inserts their text with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from hilt.server.api import api_annotator, item_json, writing
from hilt.server.pages import _page_annotator, _project_context, task_context, templates

__all__ = ["router"]

router = APIRouter()


class LabelManyIn(BaseModel):
    """Body of ``POST /api/label-many``."""

    item_ids: list[str | int] = Field(min_length=1, max_length=10_000)
    #: One label (``single``) or a list of labels (``multilabel``).
    label: str | list[str]
    #: The group's id, made by the client and sent again with every retry (a new one if absent).
    batch_id: str | None = Field(default=None, min_length=1, max_length=128)


class UndoBatchIn(BaseModel):
    """Body of ``POST /api/undo-batch``: the group to retract."""

    batch_id: str = Field(min_length=1, max_length=128)


@router.get("/api/search")
def get_search(
    request: Request,
    annotator: str = Depends(api_annotator),
    q: str = Query(..., max_length=1000, description="Words the shown columns must all hold; `word*`: starts with."),
    limit: int = Query(20, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    """Items whose shown columns hold every word of ``q``, best first: ``{"query", "found",
    "offset", "limit", "more"}`` (``more``: another page follows at ``offset + limit``).
    Evaluation items and an equal share of the others are never found; 400 for a query without
    a word."""
    page = request.app.state.project.search(q, limit=limit, offset=offset)
    return {"query": page.query, "found": [item_json(item) for item in page.found], "offset": page.offset,
            "limit": page.limit, "more": page.more}


@router.get("/api/similar")
def get_similar(
    request: Request,
    annotator: str = Depends(api_annotator),
    item_id: str = Query(..., min_length=1),
    k: int = Query(10, ge=1, le=1000),
):
    """The ``k`` items most like ``item_id`` by cosine similarity on the project's features:
    ``{"item_id", "found", "scores"}``, most similar first (never the item itself, nor an item
    search leaves out); 404 for an unknown item."""
    result = request.app.state.project.similar(item_id, k)
    return {"item_id": result.item_id, "found": [item_json(item) for item in result.found],
            "scores": list(result.scores)}


@router.post("/api/label-many")
def post_label_many(body: LabelManyIn, request: Request, annotator: str = Depends(api_annotator)):
    """Label every item of ``item_ids`` with ``label``, one answer each by this annotator, in one
    transaction, kept as the group ``batch_id``: ``{"saved": true, "batch", "n_labelled",
    "n_stored", "duplicate"}`` after the commit. The same ``batch_id`` again stores nothing new
    (``duplicate``: safe to retry). 400 (nothing stored) for an item search leaves out or a label
    that is not the project's, 404 for an unknown item."""
    with writing(request) as project:
        reply = project.label_many([str(i) for i in body.item_ids], body.label, annotator, body.batch_id)
    return reply.to_dict()


@router.post("/api/undo-batch")
def post_undo_batch(body: UndoBatchIn, request: Request, annotator: str = Depends(api_annotator)):
    """Retract this annotator's group ``batch_id`` (kept, marked retracted): ``{"batch",
    "n_retracted"}``; a group undone before retracts nothing more (0); 404 for an unknown group."""
    with writing(request) as project:
        reply = project.undo_batch(annotator, body.batch_id)
    return reply.to_dict()


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Any:
    """The search page: find items, tick them, give them one label at once, undo the group."""
    who = _page_annotator(request)
    if isinstance(who, RedirectResponse):
        return who
    project = request.app.state.project
    context = _project_context(request, who)
    context.update(task_context(project, "search.html"))
    return templates.TemplateResponse(request, "search.html", context)
