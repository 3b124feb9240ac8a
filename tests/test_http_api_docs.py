"""docs/reference/http-api.md against the server: the keys its "Replies" table gives for each
reply are the keys the server sends, and the reverse; every JSON call of the API is in the table.

The replies come from one project with everything a reply can carry: overlap (agreement with a
pair), a reviewer with disagreements to settle, a finished model run, a history, suggestions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from helpers import Receiver
from hilt.project import Project
from hilt.server import create_app
from hilt.server.api import router
from hilt.server.search import router as search_router

DOC = Path(__file__).resolve().parents[1] / "docs" / "reference" / "http-api.md"
LABELS = ["good", "bad"]
#: Calls that reply with something other than a JSON object of documented keys.
NOT_IN_TABLE = {"GET /api/export", "GET /api/openapi.json"}


def documented() -> dict[str, tuple[set[str], set[str]]]:
    """The "Replies" table: reply -> (keys always sent, keys sent only when asked for)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Replies", 1)[1].split("\n## ", 1)[0]
    table: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("reply", "---"):
            continue
        always, asked = (set(re.findall(r"`([^`]+)`", cell)) for cell in cells[1:])
        name = cells[0][1:-1] if re.fullmatch(r"`[^`]+`", cells[0]) else cells[0]  # `GET /api/next`
        table[name] = (always, asked)
    return table


@pytest.fixture(scope="module")
def replies(tmp_path_factory) -> dict[str, list[dict]]:
    """Every reply the table names, as the server sent it: reply -> the objects seen."""
    with Receiver() as receiver:  # a webhook, for the status's `webhook`
        return _replies(tmp_path_factory, receiver.url)


def _replies(tmp_path_factory, webhook: str) -> dict[str, list[dict]]:
    path = tmp_path_factory.mktemp("api") / "p.hilt"
    texts = [f"{'good' if k % 2 else 'bad'} review number {k}" for k in range(40)]
    frame = pd.DataFrame({"id": [f"i{k}" for k in range(40)], "text": texts})
    with Project.create(path, frame, LABELS, id_column="id", features="tfidf", eval_share=0.2,
                        retrain_every=1000, overlap=1.0, annotators_per_item=2) as project:
        project.import_suggestions([(f"i{k}", LABELS[k % 2], 0.8) for k in range(40)], source="zero-shot")
        tokens = {name: project.add_annotator(name) for name in ("alice", "bob")}
        tokens["rita"] = project.add_annotator("rita", reviewer=True)
        for annotator in ("alice", "bob"):
            for k in range(14):
                item = project.next_item(annotator)
                number = int(item.id[1:])
                # bob disagrees with alice on every third item: disagreements for the reviewer
                flip = annotator == "bob" and number % 3 == 0
                project.answer(item.id, LABELS[(number % 2) ^ flip], annotator)
        project.retrain(wait=True)
        project.set_webhook(webhook, secret="s3cret")
    seen: dict[str, list[dict]] = {}

    def keep(name: str, body: dict) -> dict:
        assert isinstance(body, dict), (name, body)
        seen.setdefault(name, []).append(body)
        return body

    def auth(name: str) -> dict:
        return {"Authorization": f"Bearer {tokens[name]}"}

    with TestClient(create_app(path), raise_server_exceptions=False) as client:
        def call(method: str, url: str, who: str = "alice", **kwargs) -> dict:
            response = client.request(method, url, headers=auth(who), **kwargs)
            assert response.status_code == 200, (url, response.status_code, response.text)
            return keep(f"{method} {url.split('?')[0]}", response.json())

        plain = call("GET", "/api/next")
        ahead = call("GET", "/api/next?ahead=1")
        answer = {"item_id": ahead["item"]["id"], "label": "good"}
        call("POST", "/api/answers", json=answer)
        answered = call("POST", "/api/answers?next=1&ahead=1", json={**answer, "label": "bad"})
        undone = call("POST", "/api/undo")
        undone_ahead = call("POST", "/api/undo?ahead=1")
        status = call("GET", "/api/status")
        call("GET", "/api/me")
        review = call("GET", "/api/review", who="rita")
        call("POST", "/api/review", who="rita", json={"item_id": review["items"][0]["item_id"], "label": "good"})
        history = call("GET", "/api/history")
        call("POST", "/api/history", json={"item_id": history["answers"][0]["item_id"], "label": "good"})
        found = call("GET", "/api/search?q=review&limit=5")
        similar = call("GET", f"/api/similar?item_id={found['found'][0]['id']}&k=3")
        call("POST", "/api/label-many", json={"item_ids": [found["found"][0]["id"]], "label": "good", "batch_id": "g1"})
        call("POST", "/api/undo-batch", json={"batch_id": "g1"})

    for body in (plain, ahead, undone, undone_ahead):
        keep("an item (`item`, `next`, `ahead`, each of `found`)", body["item"])
    for body in (ahead, answered, undone_ahead):
        keep("an item (`item`, `next`, `ahead`, each of `found`)", body["ahead"])
    keep("an item (`item`, `next`, `ahead`, each of `found`)", answered["next"])
    for item in found["found"] + similar["found"]:
        keep("an item (`item`, `next`, `ahead`, each of `found`)", item)
    for run in status["runs"]:
        keep("a model run (each of the status's `runs`)", run)
    agreement = keep("the status's `agreement`", status["agreement"])
    for row in agreement["by_annotator"].values():
        keep("an annotator of `agreement.by_annotator`", row)
    for row in agreement["pairs"].values():
        keep("a pair of `agreement.pairs`", row)
    keep("the status's `overlap` (`null` without overlap)", status["overlap"])
    keep("the status's `webhook` (`null` without a webhook)", status["webhook"])
    keep("the status's `seconds` (time per item)", status["seconds"])
    suggestions = keep("the status's `suggestions`", status["suggestions"])
    for row in suggestions["by_annotator"].values():
        keep("an annotator of `suggestions.by_annotator`", row)
    for item in review["items"]:
        keep("an item of `GET /api/review`", item)
        for given in item["answers"]:
            keep("an answer of a review item", given)
    for given in history["answers"]:
        keep("an answer of `GET /api/history`", given)
    return seen


def test_the_replies_table_names_what_the_server_sends(replies):
    table = documented()
    assert set(replies) == set(table), "a reply the table lacks, or one the test does not call"
    for name, bodies in replies.items():
        always, asked = table[name]
        for body in bodies:
            sent = set(body)
            assert always <= sent, f"{name}: documented but not sent: {sorted(always - sent)}"
            assert sent <= always | asked, f"{name}: sent but not documented: {sorted(sent - always - asked)}"
        if asked:  # the calls above ask for every optional key once
            assert asked <= set().union(*bodies), f"{name}: documented as sent when asked for, never seen"


def test_every_json_call_of_the_api_is_in_the_replies_table():
    calls = {f"{method} {route.path}" for route in [*router.routes, *search_router.routes]
             for method in getattr(route, "methods", ())
             if getattr(route, "include_in_schema", True) and route.path.startswith("/api/")}
    in_table = {name for name in documented() if re.fullmatch(r"[A-Z]+ /api/\S+", name)}
    assert in_table == calls - NOT_IN_TABLE


def test_the_openapi_description_of_the_status_has_the_documented_keys(replies):
    """``GET /api/openapi.json`` describes the status reply with the keys the page and the server give."""
    from hilt.project.results import Agreement, RunSummary, Status
    from hilt.server.schemas import response_model

    table = documented()
    for result, reply in ((Status, "GET /api/status"), (RunSummary, "a model run (each of the status's `runs`)"),
                          (Agreement, "the status's `agreement`")):
        assert list(response_model(result).model_fields) == list(replies[reply][0])
        assert set(response_model(result).model_fields) == table[reply][0]
    schema = create_app_schema()
    assert schema["paths"]["/api/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Status"}
    assert list(schema["components"]["schemas"]["Status"]["properties"]) == list(replies["GET /api/status"][0])


def create_app_schema() -> dict:
    """The OpenAPI description a server gives (of a throwaway project)."""
    import tempfile

    path = Path(tempfile.mkdtemp()) / "p.hilt"
    Project.create(path, pd.DataFrame({"text": ["a b", "c d"]}), LABELS, features="tfidf").close()
    return create_app(path).openapi()
