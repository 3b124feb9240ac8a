"""Search and bulk labelling through the server: the API (hostile queries never a 500, retries of
a group, what is kept out) and the search page in a browser (search, tick all, label, undo)."""

from __future__ import annotations

import json

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import server_in_this_process
from helpers import open_page
from hilt.project import Project
from hilt.project.search import kept_out
from hilt.server import create_app
from test_search import HOSTILE


def make_project(path, n=40, eval_share=0.2):
    texts = [f"{'plot' if k % 4 == 0 else 'music'} twist number{k} <b>bold</b>" for k in range(n)]
    frame = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "text": texts})
    with Project.create(path, frame, ["good", "bad"], id_column="id", features="tfidf", eval_share=eval_share,
                        seed=5, retrain_every=1000) as project:
        token = project.add_annotator("ada")
        evals = {r.key for r in project._store.item_rows(range(1, n + 1)) if r.is_eval}
    return token, evals


def test_api_search_similar_label_many_and_undo(tmp_path):
    path = tmp_path / "p.hilt"
    token, evals = make_project(path)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(path), raise_server_exceptions=False) as client:
        for query in HOSTILE:
            reply = client.get("/api/search", params={"q": query}, headers=headers)
            assert reply.status_code in (200, 400), (query, reply.status_code, reply.text)
            if reply.status_code == 400:
                assert "Expected a search query" in reply.json()["error"]
        assert client.get("/api/search", params={"q": "plot"}).status_code == 401
        found = client.get("/api/search", params={"q": "twist", "limit": 100}, headers=headers).json()
        ids = {item["id"] for item in found["found"]}
        assert ids == {f"i{k}" for k in range(40)} - evals - {f"i{k}" for k in range(40) if kept_out(f"i{k}", False, 0.2)}
        keys = {"id", "data", "guess", "uncertainty", "suggestion", "suggestion_score", "suggestion_source"}
        assert all(set(item) == keys for item in found["found"])
        paged = client.get("/api/search", params={"q": "twist", "limit": 5, "offset": 5}, headers=headers).json()
        assert paged["more"] and len(paged["found"]) == 5
        assert client.get("/api/search", params={"q": "x", "limit": 0}, headers=headers).status_code == 400
        similar = client.get("/api/similar", params={"item_id": "i4", "k": 5}, headers=headers).json()
        assert "i4" not in {item["id"] for item in similar["found"]} and not evals & {i["id"] for i in similar["found"]}
        assert client.get("/api/similar", params={"item_id": "nope"}, headers=headers).status_code == 404

        plots = [item["id"] for item in client.get("/api/search", params={"q": "plot", "limit": 100},
                                                   headers=headers).json()["found"]]
        body = {"item_ids": plots, "label": "good", "batch_id": "page-1"}
        first = client.post("/api/label-many", json=body, headers=headers).json()
        again = client.post("/api/label-many", json=body, headers=headers).json()  # a retry
        assert first["n_stored"] == len(plots) and again["duplicate"] and again["n_stored"] == 0
        assert client.post("/api/label-many", json={**body, "label": "bad"}, headers=headers).status_code == 409
        refused = client.post("/api/label-many", json={"item_ids": [plots[0], sorted(evals)[0]], "label": "good"},
                              headers=headers)
        assert refused.status_code == 400 and "Nothing was stored" in refused.json()["error"]
        assert client.post("/api/label-many", json={"item_ids": ["nope"], "label": "good"},
                           headers=headers).status_code == 404
        assert client.post("/api/label-many", json={"item_ids": [], "label": "good"}, headers=headers).status_code == 400
        assert client.get("/api/status", headers=headers).json()["n_answered"] == len(plots)
        undone = client.post("/api/undo-batch", json={"batch_id": "page-1"}, headers=headers).json()
        assert undone == {"batch": "page-1", "n_retracted": len(plots)}
        assert client.post("/api/undo-batch", json={"batch_id": "page-1"}, headers=headers).json()["n_retracted"] == 0
        assert client.post("/api/undo-batch", json={"batch_id": "other"}, headers=headers).status_code == 404
        assert client.get("/api/status", headers=headers).json()["n_answered"] == 0


@pytest.mark.browser
def test_search_page_labels_a_selection_as_one_group_and_undoes_it(tmp_path, browser_context):
    path = tmp_path / "p.hilt"
    token, evals = make_project(path)
    headers = {"Authorization": f"Bearer {token}"}
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        page.click("#search-link")
        page.wait_for_selector("#q")
        page.fill("#q", "plot")
        page.press("#q", "Enter")
        page.wait_for_selector("#results .result")
        shown = page.eval_on_selector_all("#results .result", "lis => lis.map(li => li.dataset.id)")
        assert shown and not set(shown) & evals
        # Item text is text: the markup in it is shown, never run or rendered.
        assert "<b>bold</b>" in page.text_content("#results .result .result-text")
        assert page.locator("#results b").count() == 0
        page.check("#select-all")
        page.select_option("#label-choice", "good")
        assert page.text_content("#label-many") == f"Label {len(shown)} items"
        page.click("#label-many")
        page.wait_for_selector("#feedback.saved")
        answers = [json.loads(line) for line in httpx.get(
            f"{base}/api/export?include_retracted=true", headers=headers, timeout=30).text.splitlines()]
        assert sorted(a["item_id"] for a in answers) == sorted(shown)
        assert {a["label"] for a in answers} == {"good"} and len({a["batch"] for a in answers}) == 1
        page.click("#undo-batch")
        page.wait_for_function("() => document.querySelector('#feedback').textContent.startsWith('Undone')")
        status = httpx.get(f"{base}/api/status", headers=headers, timeout=30).json()
        assert status["n_answered"] == 0
        assert errors == []
