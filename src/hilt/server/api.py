"""The JSON API under ``/api``: one project call per endpoint.

Endpoints are plain ``def`` functions: FastAPI runs them in its thread pool, so a SQLite call
never blocks the event loop. The project object is safe to share between threads; the calls that
write (lease, answer, undo) additionally queue on one lock of the app (see :func:`writing`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from hilt.errors import InputError, NotFoundError
from hilt.project.keys import label_keys
from hilt.server.auth import annotator_for, request_token
from hilt.server.pages import project_name
from hilt.server.schemas import status_response

__all__ = ["router", "item_json", "snippet"]

router = APIRouter(prefix="/api")


@contextmanager
def writing(request: Request) -> Iterator[Any]:
    """Run one writing project call at a time in this server: yields the project.

    SQLite lets one writer in at a time anyway. Without this lock, the threads that lose the race
    for the write lock wait in SQLite's busy handler, which sleeps and polls (1, 2, 5 … 100 ms):
    under 50 concurrent annotators that made the slowest 1 % of answers wait hundreds of ms
    while the file was free most of that time. A Python lock hands over the moment the holder
    commits. Reads (status, export, previews, tokens) do not take it: WAL readers never wait.
    """
    with request.app.state.write_lock:
        yield request.app.state.project


def api_annotator(request: Request) -> str:
    """Dependency: the annotator behind the request's token, or a 401 JSON answer."""
    return annotator_for(request, request_token(request), page=False)


def item_json(item: Any) -> dict | None:
    """An :class:`hilt.Item` as the JSON the page and the API clients read.

    ``is_eval`` stays on the server: the person labelling must not be able to tell evaluation
    items apart (they would answer them differently, and the accuracy measured on them would no
    longer be honest). Evaluation items carry a guess like ranked items (the page shows it only
    after the answer).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Item:
    ...     id: str
    ...     data: dict
    ...     is_eval: bool
    >>> item_json(Item("7", {"text": "hi"}, True))
    {'id': '7', 'data': {'text': 'hi'}, 'guess': None, 'uncertainty': None, 'suggestion': None, 'suggestion_score': None, 'suggestion_source': None}
    >>> item_json(None) is None
    True
    """
    if item is None:
        return None
    fields = dataclasses.asdict(item)
    out = {
        "id": str(fields["id"]),
        "data": fields["data"],
        "guess": fields.get("guess"),
        "uncertainty": fields.get("uncertainty"),
        # Another model's prediction, shown before the answer (never on evaluation items).
        "suggestion": fields.get("suggestion"),
        "suggestion_score": fields.get("suggestion_score"),
        "suggestion_source": fields.get("suggestion_source"),
    }
    if fields.get("tokens") is not None:  # a spans item: its tokens, and whether to pre-fill the guess
        out["tokens"] = [list(t) for t in fields["tokens"]]
        out["suggest"] = bool(fields.get("suggest"))
    return out


class AnswerIn(BaseModel):
    """Body of ``POST /api/answers``."""

    item_id: str | int
    #: One label (``single``), a list of labels (``multilabel``; ``[]``: none of these), a list of
    #: ``{"start", "end", "label"}`` spans (``spans``; ``[]``: nothing to mark), or null: a skip.
    label: str | list[str] | list[dict[str, Any]] | None = None
    answer_id: str | None = Field(default=None, min_length=1, max_length=128)
    #: Seconds the person spent on the item (the page's focus time); optional.
    seconds: float | None = None


class UndoIn(BaseModel):
    """Optional body of ``POST /api/undo``: ``undo_id``, sent again with every retry."""

    undo_id: str | None = Field(default=None, min_length=1, max_length=128)


def ahead_of(project: Any, annotator: str, held: Any) -> dict | None:
    """The item most likely to come after ``held`` for ``annotator``, not leased (a preview).

    The page shows it the moment the annotator answers ``held``; the reply to that answer then
    brings the item the server really leased, which is this one unless another annotator took it
    meanwhile (the preview follows the same ranking and evaluation-sample turns as the lease).
    Only ever a preview: answers always name the item they are for, and the lease decides what
    is served next.
    """
    if held is None:
        return None
    for item in project.peek_items(annotator, 2):
        if str(item.id) != str(held.id):
            return item_json(item)
    return None


@router.get("/next", responses={204: {"description": "Nothing is left to label."}})
def next_item(
    request: Request,
    annotator: str = Depends(api_annotator),
    ahead: bool = Query(False, description="Also return a preview of the item after this one."),
):
    """The next item for this annotator, leased to them: ``{"item": {...}}``, or 204.

    With ``?ahead=1`` the reply also carries ``"ahead"``: a preview of the item that most likely
    follows (not leased), so the page can show it without waiting for the server.
    """
    project = request.app.state.project
    with writing(request):
        item = project.next_item(annotator)
    return _item_reply(project, annotator, item, ahead)


def _item_reply(project: Any, annotator: str, item: Any, ahead: bool) -> Any:
    """``{"item": ...}`` (plus the ``ahead`` preview when asked), or 204 when there is no item."""
    if item is None:
        return Response(status_code=204)
    reply = {"item": item_json(item)}
    if ahead:
        reply["ahead"] = ahead_of(project, annotator, item)
    return reply


@router.post("/answers")
def post_answer(
    body: AnswerIn,
    request: Request,
    annotator: str = Depends(api_annotator),
    next: bool = Query(False, description="Also lease and return the annotator's next item."),
    ahead: bool = Query(False, description="With next: also a preview of the item after it."),
):
    """Commit one answer (``label`` null = skip); ``{"saved": true, "answer_id", "duplicate"}``
    only after the commit (``duplicate``: that ``answer_id`` was stored before, nothing new was).

    With ``?next=1`` the reply also carries ``"next"``: the annotator's next item, leased in the
    same transaction as the answer, so the page shows it without another round trip or commit; ``&ahead=1`` adds a
    preview of the one after (see ``GET /api/next``).
    """
    project = request.app.state.project
    with writing(request):
        # With next: the answer and the next lease in one transaction, one commit.
        result = project.answer(str(body.item_id), body.label, annotator, answer_id=body.answer_id,
                                lease_next=next, seconds=body.seconds)
    reply: dict[str, Any] = {"saved": True, "answer_id": result.answer_id, "duplicate": bool(result.duplicate)}
    if next:
        following = result.next
        reply["next"] = item_json(following)
        if ahead:
            reply["ahead"] = ahead_of(project, annotator, following)
    return reply


@router.post("/undo", responses={204: {"description": "Nothing to undo."}})
def post_undo(
    request: Request,
    body: UndoIn | None = None,
    annotator: str = Depends(api_annotator),
    ahead: bool = Query(False, description="Also return a preview of the item after the undone one."),
):
    """Retract this annotator's latest answer and hand its item back: ``{"item": {...}}``, or 204.

    The item the annotator held before is released (one lease per annotator). A retry with the
    same ``undo_id`` retracts nothing more and gets the first reply again, whichever server
    process over the project it reaches (the id is kept in the project, in the undo's own
    transaction).
    """
    with writing(request) as project:
        item = project.undo(annotator, undo_id=body.undo_id if body else None)
    return _item_reply(project, annotator, item, ahead)


@router.get("/status", responses=status_response())
def get_status(request: Request, annotator: str = Depends(api_annotator)):
    """The project's status (counts, per label, per annotator, model runs, agreement, settings):
    :meth:`hilt.Project.status` as JSON."""
    return request.app.state.project.status().to_dict()


@router.get("/export")
def get_export(
    request: Request,
    annotator: str = Depends(api_annotator),
    format: str = Query("jsonl", description="jsonl or csv"),
    include_retracted: bool = Query(False),
):
    """Download the current labels as a file (the same rows as ``hilt export``)."""
    if format not in ("jsonl", "csv"):
        raise InputError(f"Expected format=jsonl or format=csv, got format={format!r}.")
    project = request.app.state.project
    folder = Path(tempfile.mkdtemp(prefix="hilt-export-"))
    path = folder / f"{project_name(project.location)}-labels.{format}"
    project.export(path, include_retracted=include_retracted)

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return FileResponse(path, media_type=media, filename=path.name, background=BackgroundTask(cleanup))


@router.get("/me")
def get_me(request: Request, annotator: str = Depends(api_annotator)):
    """Who the token belongs to, their ``role`` (``"reviewer"`` or ``"annotator"``: a reviewer
    may also open ``/review``), and the project's labels."""
    project = request.app.state.project
    role = "reviewer" if project.is_reviewer(annotator) else "annotator"
    return {"annotator": annotator, "role": role, "labels": list(project.labels), "kind": project.kind,
            "task": project.task}


# ---- review: a reviewer settles disagreements and likely label errors ------------------------


class ReviewIn(BaseModel):
    """Body of ``POST /api/review``: a reviewer's decision on one item."""

    item_id: str | int
    #: One label (``single``), a list of labels (``multilabel``; ``[]``: none of these), a list of
    #: ``{"start", "end", "label"}`` spans (``spans``; ``[]``: nothing to mark), or null: a skip.
    label: str | list[str] | list[dict[str, Any]] | None = None
    answer_id: str | None = Field(default=None, min_length=1, max_length=128)
    #: Seconds the reviewer spent on the item (the page's focus time); optional.
    seconds: float | None = None


@router.get("/review")
def get_review(
    request: Request,
    annotator: str = Depends(api_annotator),
    limit: int = Query(20, ge=1, le=200, description="At most this many items, most urgent first."),
):
    """What this reviewer should look at: ``{"items": [...], "labels": [...], "keys": {...}}``.

    ``items`` are :meth:`hilt.Project.review_items` rows (disagreements first, then likely label
    errors), each with ``item_id``, ``data``, ``label`` (the final label now), ``answers``
    (``annotator``, ``label``, ``role``, ``answered_at``), ``reason``, ``suggested`` and
    ``score``; ``keys`` maps each label to the key that decides it on the review page (the
    labelling page's scheme). 403 for an annotator who is not a reviewer.

    A plain ``def``: finding likely label errors refits the model on folds of the labels, which
    can take seconds on a large project; it runs in the thread pool, not on the event loop, and
    takes no write lock (it only reads).
    """
    project = request.app.state.project
    rows = project.review_items(annotator, limit)
    labels = list(project.labels)
    keys = {label: key for label, key in zip(labels, label_keys(labels)) if key}
    return {"items": [review_json(row) for row in rows], "labels": labels, "keys": keys}


def review_json(row: dict) -> dict:
    """A :meth:`hilt.Project.review_items` row as JSON: item ids are strings, like everywhere."""
    return {**row, "item_id": str(row["item_id"]), "answers": [dict(answer) for answer in row["answers"]]}


@router.post("/review")
def post_review(body: ReviewIn, request: Request, annotator: str = Depends(api_annotator)):
    """Record this reviewer's decision; it becomes the item's final label. Replies after the
    commit: ``{"saved": true, "answer_id", "duplicate", "label"}`` (``label``: the final label
    now). A repeated ``answer_id`` stores nothing new. 403 for a non-reviewer, 400 for a label
    that is not one of the project's, 404 for an unknown item."""
    with writing(request) as project:
        result = project.review(str(body.item_id), body.label, annotator, answer_id=body.answer_id,
                                seconds=body.seconds)
    return {"saved": True, "answer_id": result["answer_id"], "duplicate": bool(result["duplicate"]),
            "label": result["label"]}


@router.get("/openapi.json")
def get_openapi(request: Request, annotator: str = Depends(api_annotator)):
    """The OpenAPI description of this API (behind the token like every ``/api`` call)."""
    return request.app.openapi()


#: Characters of an item the history list shows (the page has room for one line or two).
SNIPPET_CHARS = 120


def snippet(data: dict, limit: int = SNIPPET_CHARS) -> str:
    """A short one-line text for an item: its text, else its fields as ``name=value``.

    Examples
    --------
    >>> snippet({"text": "A fine   film,\\n truly."})
    'A fine film, truly.'
    >>> snippet({"height": 181.5, "age": 34})
    'height=181.5 · age=34'
    >>> len(snippet({"text": "x" * 500}))
    120
    """
    if isinstance(data.get("text"), str):
        text = data["text"]
    else:
        text = " · ".join(f"{key}={value}" for key, value in data.items())
    text = " ".join(text[: limit * 4].split())  # the whole 20 MB text is never split
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChangeIn(BaseModel):
    """Body of ``POST /api/history``: a new answer for an item answered earlier."""

    item_id: str | int
    #: One label (``single``), a list of labels (``multilabel``; ``[]``: none of these), a list of
    #: ``{"start", "end", "label"}`` spans (``spans``; ``[]``: nothing to mark), or null: a skip.
    label: str | list[str] | list[dict[str, Any]] | None = None
    answer_id: str | None = Field(default=None, min_length=1, max_length=128)


@router.get("/history")
def get_history(
    request: Request,
    annotator: str = Depends(api_annotator),
    limit: int = Query(20, ge=1, le=200, description="How many answers, newest first."),
):
    """This annotator's recent current answers, newest first: ``{"answers": [...]}``.

    Each answer has ``item_id``, ``label`` (null for a skip), ``answered_at``, ``answer_id`` and
    ``snippet`` (a short text of the item, not the whole item: the list stays small).
    """
    answers = request.app.state.project.recent_answers(annotator, limit)
    return {"answers": [{"item_id": str(a["item_id"]), "label": a["label"], "answered_at": a["answered_at"],
                         "answer_id": a["answer_id"], "snippet": snippet(a["data"])} for a in answers]}


@router.post("/history")
def change_from_history(body: ChangeIn, request: Request, annotator: str = Depends(api_annotator)):
    """Change an earlier answer: a new answer for the item, the annotator's old one retracted
    (kept in the file); ``{"saved": true, "answer_id", "duplicate"}``. The lease is untouched."""
    with writing(request) as project:
        result = project.change_answer(str(body.item_id), body.label, annotator, answer_id=body.answer_id)
    return {"saved": True, "answer_id": result["answer_id"], "duplicate": bool(result["duplicate"])}


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown_call(rest: str, annotator: str = Depends(api_annotator)):
    """Any other ``/api`` path: 401 without a token (nothing about the API is public), else 404."""
    raise NotFoundError(f"Expected an API call such as GET /api/next; there is no /api/{rest}.")
