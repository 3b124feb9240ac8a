"""``hilt search`` and ``hilt label-many``: find items by their words or by an item like them, and
give many items one label at once (:mod:`hilt.project.search`)."""

from __future__ import annotations

import json
from typing import Any, Optional

import typer

from hilt.cli._project import PROJECT_HELP, project_location
from hilt.cli.app import app, console, stdout, user_errors
from hilt.cli.create import open_light
from hilt.errors import InputError

#: Characters of an item's text a result line shows.
_SNIPPET = 100


def _snippet(data: dict) -> str:
    text = data["text"] if isinstance(data.get("text"), str) else " · ".join(f"{k}={v}" for k, v in data.items())
    text = " ".join(str(text)[: _SNIPPET * 4].split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


def _print_items(items: list[Any], scores: list[float] | None, as_json: bool) -> None:
    for n, item in enumerate(items):
        if as_json:
            row: dict[str, Any] = {"id": item.id, "data": item.data}
            if scores is not None:
                row["score"] = scores[n]
            stdout.print(json.dumps(row, ensure_ascii=False), markup=False, highlight=False, soft_wrap=True)
        else:
            score = f"  {scores[n]:.3f}" if scores is not None else ""
            stdout.print(f"{item.id}{score}\t{_snippet(item.data)}", markup=False, highlight=False, soft_wrap=True)


@app.command()
@user_errors
def search(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    query: Optional[str] = typer.Argument(
        None, metavar="QUERY", show_default=False,
        help="Words every item found must hold in its shown columns (case, accents and word endings do not "
        "matter; word* matches the words it starts). Quote several words as one argument.",
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="At most this many items."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many matches first (the next page)."),
    similar_to: Optional[str] = typer.Option(
        None, "--similar-to", metavar="ID",
        help="Instead of words: the items most like item ID (cosine similarity on the project's features).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per item ({id, data[, score]})."),
) -> None:
    """Find items by their words, or the items most like one item (--similar-to), best first:
    one line per item, its id and the start of its text.

    Evaluation items are never found, nor an equal share of the other items, so that what is
    missing gives the evaluation sample away to nobody: those are labelled as they are served.

    Example: hilt search reviews.hilt "plot twist"

    Example: hilt search reviews.hilt --similar-to 1043 -n 50
    """
    if (query is None) == (similar_to is None):
        raise InputError("Expected either a QUERY or --similar-to ID (one of them, not both).")
    with open_light(project_location(project)) as opened:
        if similar_to is not None:
            found = opened.similar(similar_to, limit)
            _print_items(found.found, list(found.scores), as_json)
            if not as_json:
                console.print(f"{len(found.found)} item(s) like {similar_to}.")
            return
        page = opened.search(query, limit=limit, offset=offset)
        _print_items(page.found, None, as_json)
        if not as_json:
            more = f" More: --offset {offset + limit}." if page.more else ""
            console.print(f"{len(page.found)} item(s) for {query!r}.{more}")


@app.command("label-many")
@user_errors
def label_many(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    label: str = typer.Option(
        ..., "--label", "-l", show_default=False,
        help="The label to give (a multi-label project: the labels, comma-separated; '' for none of these).",
    ),
    query: Optional[str] = typer.Option(None, "--query", "-q", help="Label the items this search finds."),
    ids: Optional[str] = typer.Option(None, "--ids", metavar="A,B,C", help="Label these items, by id."),
    annotator: str = typer.Option(..., "--annotator", "-a", show_default=False, help="Whose answers they are."),
    limit: int = typer.Option(1000, "--limit", "-n", min=1, max=10_000,
                              help="With --query: label at most this many of the items found (best first)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before labelling."),
) -> None:
    """Give many items one label at once: each becomes an answer by --annotator, all stored in one
    transaction as one group, which the reply names (undo it in Python with
    project.undo_batch(annotator, group), or with POST /api/undo-batch).

    The items come from a search (--query, the items hilt search lists) or by id (--ids). An
    evaluation item, or another item search leaves out, refuses the whole request: nothing is
    stored. The answers count toward the next retrain like any others. Spans projects are refused
    (a span marks offsets in one text).

    Example: hilt label-many reviews.hilt --label pos --query "masterpiece" --annotator ada

    Example: hilt label-many reviews.hilt --label neg --ids 17,42,108 --annotator ada --yes
    """
    if (query is None) == (ids is None):
        raise InputError("Expected either --query WORDS or --ids A,B,C (one of them, not both).")
    with open_light(project_location(project)) as opened:
        if query is not None:
            page = opened.search(query, limit=min(limit, 1000))
            found = list(page.found)
            while page.more and len(found) < limit:  # pages of at most 1,000
                page = opened.search(query, limit=min(1000, limit - len(found)), offset=len(found))
                found += page.found
            item_ids = [item.id for item in found]
            if not item_ids:
                raise InputError(f"Expected items for the query {query!r}; the search finds none. Nothing was stored.")
        else:
            item_ids = [part.strip() for part in str(ids).split(",") if part.strip()]
            if not item_ids:
                raise InputError(f"Expected item ids separated by commas after --ids; got {ids!r}.")
        answer: Any = label
        if opened.task == "multilabel":
            answer = [part.strip() for part in label.split(",") if part.strip()]
        if not yes:
            try:
                asked = typer.confirm(f"Label {len(item_ids)} item(s) {label!r} as {annotator}?", default=False,
                                      err=True)
            except typer.Abort:  # no answer came (standard input closed)
                raise InputError(f"Expected --yes to label {len(item_ids)} item(s) without asking (no answer to "
                                 "the question came on standard input). Nothing was stored.") from None
            if not asked:
                console.print("Nothing was stored.")
                return
        reply = opened.label_many(item_ids, answer, annotator)
        console.print(f"Labelled {reply.n_labelled} item(s) {label!r} as {annotator}, in group {reply.batch}.")

