"""hilt.server over a real project: auth, the JSON API, pages, errors, and the CLI faces.

The app's tests run on both backends (the ``where`` fixture of tests/conftest.py: a project file,
or a fresh PostgreSQL database); the CLI faces (``hilt annotator add``, ``hilt serve`` as a real
process) run on a project file here and on a database in tests/test_cli_postgres.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import HILT_EXE, free_port, running_server
from hilt.project import Project
from hilt.server import create_app
from hilt.server.charts import learning_curve_svg

LABELS = ["good", "bad"]


def make_project(path, n=40, **options):
    """A project at ``path`` (a file or a database URL) with the annotators alice and bob."""
    rows = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "text": [f"review number {k}" for k in range(n)]})
    with Project.create(path, rows, LABELS, text_column="text", id_column="id", **options) as project:
        tokens = {name: project.add_annotator(name) for name in ("alice", "bob")}
    return path, tokens


@pytest.fixture
def served(where):
    path, tokens = make_project(where)
    with TestClient(create_app(path), raise_server_exceptions=False) as client:
        yield client, tokens


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "method, url",
    [("GET", "/api/next"), ("POST", "/api/answers"), ("POST", "/api/undo"), ("GET", "/api/status"),
     ("GET", "/api/export"), ("GET", "/api/me"), ("GET", "/api/openapi.json"), ("GET", "/api/no-such-call"),
     ("GET", "/api/history"), ("POST", "/api/history"), ("GET", "/api/review"), ("POST", "/api/review")],
)
def test_every_api_call_needs_a_valid_token(served, method, url):
    client, _ = served
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}):
        response = client.request(method, url, headers=headers, json={"item_id": "i0", "label": "good"})
        assert response.status_code == 401
        assert "token" in response.json()["error"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_with_a_token_the_api_description_is_served_and_unknown_calls_are_404(served):
    client, tokens = served
    schema = client.get("/api/openapi.json", headers=bearer(tokens["alice"])).json()
    assert "/api/next" in schema["paths"] and "/api/answers" in schema["paths"]
    missing = client.get("/api/no-such-call", headers=bearer(tokens["alice"]))
    assert missing.status_code == 404 and "no /api/no-such-call" in missing.json()["error"]


@pytest.mark.parametrize("url", ["/", "/dashboard", "/?token=wrong"])
def test_pages_need_a_valid_token(served, url):
    client, _ = served
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "hilt annotator add" in response.text


def test_link_moves_the_token_into_an_httponly_cookie(served):
    client, tokens = served
    response = client.get(f"/?token={tokens['alice']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    page = client.get("/")  # the client now carries the cookie
    assert page.status_code == 200
    assert "alice" in page.text and 'data-label="good"' in page.text and "<kbd>2</kbd>" in page.text
    assert client.get("/api/me").json() == {"annotator": "alice", "role": "annotator", "labels": LABELS, "kind": "text",
                                         "task": "single"}


def test_next_answer_and_a_retried_answer_id_is_stored_once(served):
    client, tokens = served
    item = client.get("/api/next", headers=bearer(tokens["alice"])).json()["item"]
    assert set(item) == {"id", "data", "guess", "uncertainty", "suggestion", "suggestion_score",
                         "suggestion_source"}  # no is_eval: see test_next_hides_is_eval
    assert item["data"]["text"].startswith("review number")
    body = {"item_id": item["id"], "label": "good", "answer_id": "a-1"}
    first = client.post("/api/answers", json=body, headers=bearer(tokens["alice"]))
    again = client.post("/api/answers", json=body, headers=bearer(tokens["alice"]))
    assert first.status_code == again.status_code == 200
    assert first.json()["saved"] is True and first.json()["duplicate"] is False
    assert again.json()["saved"] is True and again.json()["duplicate"] is True
    status = client.get("/api/status", headers=bearer(tokens["alice"])).json()
    assert status["n_answered"] == 1 and status["by_annotator"] == {"alice": 1}


def test_answer_with_next_returns_the_following_item(served):
    client, tokens = served
    first = client.get("/api/next", headers=bearer(tokens["bob"])).json()["item"]
    reply = client.post(
        "/api/answers?next=1", json={"item_id": first["id"], "label": None, "answer_id": "s-1"},
        headers=bearer(tokens["bob"]),
    ).json()
    assert reply["saved"] is True
    assert reply["next"]["id"] != first["id"]
    assert client.get("/api/status", headers=bearer(tokens["bob"])).json()["n_skipped"] == 1


@pytest.mark.parametrize("eval_share", [0.0, 0.3])
def test_ahead_previews_the_item_the_next_answer_leases(where, eval_share):
    # With an evaluation sample, the preview follows its turns as the lease does.
    path, tokens = make_project(where, eval_share=eval_share)
    with TestClient(create_app(path)) as client:
        check_ahead(client, tokens)
        for n in range(12):  # previews keep matching the leases, evaluation turns included
            ahead = client.get("/api/next?ahead=1", headers=bearer(tokens["alice"])).json()
            reply = client.post("/api/answers?next=1&ahead=1", headers=bearer(tokens["alice"]), json={
                "item_id": ahead["item"]["id"], "label": "bad", "answer_id": f"m-{n}"}).json()
            assert reply["next"]["id"] == ahead["ahead"]["id"]


def check_ahead(client, tokens):
    first = client.get("/api/next?ahead=1", headers=bearer(tokens["alice"])).json()
    preview = first["ahead"]
    assert preview is not None and preview["id"] != first["item"]["id"]
    reply = client.post(
        "/api/answers?next=1&ahead=1", json={"item_id": first["item"]["id"], "label": "good", "answer_id": "p-1"},
        headers=bearer(tokens["alice"]),
    ).json()
    assert reply["next"]["id"] == preview["id"]
    assert reply["ahead"]["id"] not in (preview["id"], first["item"]["id"])
    undone = client.post("/api/undo?ahead=1", json={"undo_id": "p-u"}, headers=bearer(tokens["alice"])).json()
    assert undone["item"]["id"] == first["item"]["id"]
    assert undone["ahead"]["id"] != first["item"]["id"]
    # The preview is no lease: bob may be served it.
    assert client.get("/api/next", headers=bearer(tokens["bob"])).json()["item"]["id"] == undone["ahead"]["id"]


def test_bad_label_and_unknown_item_are_4xx_json(served):
    client, tokens = served
    item = client.get("/api/next", headers=bearer(tokens["alice"])).json()["item"]
    bad = client.post("/api/answers", json={"item_id": item["id"], "label": "meh"}, headers=bearer(tokens["alice"]))
    assert bad.status_code == 400 and "meh" in bad.json()["error"]
    missing = client.post("/api/answers", json={"item_id": "nope", "label": "good"}, headers=bearer(tokens["alice"]))
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    malformed = client.post("/api/answers", json={"label": "good"}, headers=bearer(tokens["alice"]))
    assert malformed.status_code == 400
    assert malformed.json()["type"] == "InputError" and "item_id" in malformed.json()["error"]


def test_each_annotator_undoes_only_their_own_answers(served):
    client, tokens = served
    answered = {}
    for name in ("alice", "bob"):
        item = client.get("/api/next", headers=bearer(tokens[name])).json()["item"]
        client.post("/api/answers", json={"item_id": item["id"], "label": "good"}, headers=bearer(tokens[name]))
        answered[name] = item["id"]
    assert answered["alice"] != answered["bob"]
    undone = client.post("/api/undo", json={"undo_id": "u-1"}, headers=bearer(tokens["bob"]))
    assert undone.json()["item"]["id"] == answered["bob"]
    # A retried undo (same undo_id) retracts nothing more.
    again = client.post("/api/undo", json={"undo_id": "u-1"}, headers=bearer(tokens["bob"]))
    assert again.json()["item"]["id"] == answered["bob"]
    status = client.get("/api/status", headers=bearer(tokens["bob"])).json()
    assert status["by_annotator"] == {"alice": 1}
    assert client.post("/api/undo", headers=bearer(tokens["bob"])).status_code == 204


def test_two_annotators_are_never_served_the_same_item(served):
    client, tokens = served
    seen = {"alice": set(), "bob": set()}
    for _ in range(10):
        for name in seen:
            item = client.get("/api/next", headers=bearer(tokens[name])).json()["item"]
            seen[name].add(item["id"])
            client.post("/api/answers", json={"item_id": item["id"], "label": "bad"}, headers=bearer(tokens[name]))
    assert not seen["alice"] & seen["bob"]
    assert len(seen["alice"]) == len(seen["bob"]) == 10


def test_nothing_left_is_204(where):
    path, tokens = make_project(where, n=3)
    with TestClient(create_app(path)) as client:
        for _ in range(3):
            item = client.get("/api/next", headers=bearer(tokens["alice"])).json()["item"]
            client.post("/api/answers", json={"item_id": item["id"], "label": "good"}, headers=bearer(tokens["alice"]))
        assert client.get("/api/next", headers=bearer(tokens["alice"])).status_code == 204


def test_export_downloads_jsonl_and_csv(served):
    client, tokens = served
    item = client.get("/api/next", headers=bearer(tokens["alice"])).json()["item"]
    client.post("/api/answers", json={"item_id": item["id"], "label": "bad"}, headers=bearer(tokens["alice"]))
    jsonl = client.get("/api/export", headers=bearer(tokens["alice"]))
    assert jsonl.status_code == 200 and "attachment" in jsonl.headers["content-disposition"]
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(rows) == 1 and rows[0]["label"] == "bad" and rows[0]["annotator"] == "alice"
    csv = client.get("/api/export?format=csv", headers=bearer(tokens["alice"]))
    assert csv.status_code == 200 and ".csv" in csv.headers["content-disposition"]
    assert "alice" in csv.text and "bad" in csv.text
    wrong = client.get("/api/export?format=xml", headers=bearer(tokens["alice"]))
    assert wrong.status_code == 400 and "format=csv" in wrong.json()["error"]


def test_dashboard_shows_counts_chart_and_export_links(served):
    client, tokens = served
    client.get(f"/dashboard?token={tokens['alice']}")
    page = client.get("/dashboard")
    assert page.status_code == 200
    for text in ("answered", "left", "Per label", "Per annotator", "/api/export?format=csv", "<svg"):
        assert text in page.text
    partial = client.get("/dashboard?partial=1")
    assert partial.status_code == 200 and "<html" not in partial.text and "answered" in partial.text


def test_unknown_errors_are_500_json_without_details(served, monkeypatch):
    client, tokens = served

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.app.state.project, "status", broken)
    response = client.get("/api/status", headers=bearer(tokens["alice"]))
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error."}
    assert "secret" not in response.text


def test_security_headers(served):
    client, tokens = served
    response = client.get("/api/next", headers=bearer(tokens["alice"]))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/static/label.js").status_code == 200


def test_learning_curve_svg_escapes_and_scales():
    runs = [{"n_train": n, "eval_accuracy": a} for n, a in [(10, 0.5), (20, 0.62), (40, 0.8)]] + [
        {"n_train": 50, "eval_accuracy": None}
    ]
    svg = learning_curve_svg(runs, title="<b>curve</b>")
    assert svg.count("<circle") == 3 and "&lt;b&gt;curve" in svg
    assert "40 labels: 80.0%" in svg


# ---- the CLI faces: annotator add, serve ----------------------------------------------------
# On a project file; the same commands over a database are tests/test_cli_postgres.py.


def test_annotator_add_prints_a_working_token_and_link(tmp_path):
    path, _ = make_project(tmp_path / "p.hilt")
    result = subprocess.run([HILT_EXE, "annotator", "add", str(path), "carol"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    token = re.search(r"token: (\S+)", result.stdout).group(1)
    assert f"link:  http://127.0.0.1:8000/?token={token}" in result.stdout
    with Project.open(path) as project:
        assert project.annotator_for_token(token) == "carol"
    bad = subprocess.run([HILT_EXE, "annotator", "add", str(path), "no spaces"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_serve_prints_links_and_serves_them(tmp_path):
    path, _ = make_project(tmp_path / "p.hilt")
    with running_server(path, "--annotator", "dave") as base:
        log = next(tmp_path.glob("*.serve-*.log"))
        deadline = time.monotonic() + 10
        while "dave:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        link = re.search(r"dave: (\S+)", log.read_text()).group(1)
        assert link.startswith(base + "/?token=")
        with httpx.Client() as browser:
            page = browser.get(link, follow_redirects=True)
            assert page.status_code == 200 and str(page.url) == base + "/"
            assert browser.get(base + "/api/next").json()["item"]["id"].startswith("i")


def test_serve_on_a_busy_port_is_a_clean_error(tmp_path):
    path, _ = make_project(tmp_path / "p.hilt")
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([HILT_EXE, "serve", str(path), "--port", str(port)], capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 2
    assert "already in use" in result.stderr and "Traceback" not in result.stderr


def test_a_port_out_of_range_is_a_clean_error(tmp_path):
    """`hilt serve --port 99999` (or -1) ended in socket.bind's OverflowError traceback."""
    from hilt.errors import InputError
    from hilt.server.runner import bind

    from helpers import hilt, user_error

    path, _ = make_project(tmp_path / "p.hilt")
    for port in ("99999", "-1", "65536"):
        message = user_error(hilt("serve", path, "--port", port))
        assert f"Expected --port to be a port number from 1 to 65535 (or 0 for any free port); got {port}." in message
        assert port in user_error(hilt("demo", "--port", port, "--no-browser", "--folder", tmp_path / "demo"))
    assert not (tmp_path / "demo").exists()  # refused before the demo project was made
    with pytest.raises(InputError, match="got 70000"):
        bind("127.0.0.1", 70000)


def test_serve_warns_when_opened_to_the_network(tmp_path):
    path, _ = make_project(tmp_path / "p.hilt")
    port = free_port()
    process = subprocess.Popen([HILT_EXE, "serve", str(path), "--host", "0.0.0.0", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ready." in line:
                break
        text = "".join(lines)
        assert "Warning" in text and "unencrypted" in text
    finally:
        process.send_signal(2)
        process.wait(timeout=15)


def test_serve_on_a_missing_project_is_a_clean_error(tmp_path):
    result = subprocess.run([HILT_EXE, "serve", str(tmp_path / "nope.hilt")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr


# ---- issue 11: the web defects and the history list ------------------------------------------


def test_malformed_json_gets_hilts_error_body(served):
    """Issue 11, defect 12: a body that is not JSON is a 4xx with hilt's {"error", "type"} body."""
    client, tokens = served
    headers = {**bearer(tokens["alice"]), "Content-Type": "application/json"}
    for body in ('{"item_id": "i0", "label": ', "not json at all", ""):
        response = client.post("/api/answers", content=body, headers=headers)
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error", "type"} and response.json()["type"] == "InputError"
        assert "JSON" in response.json()["error"] or "item_id" in response.json()["error"]
    wrong_type = client.post("/api/answers", json={"item_id": "i0", "label": ["good"]}, headers=headers)
    assert wrong_type.status_code == 400 and set(wrong_type.json()) == {"error", "type"}
    assert "label" in wrong_type.json()["error"]


def test_next_hides_is_eval(where):
    """Issue 11, defect 12: no reply tells the annotator which items are evaluation items."""
    path, tokens = make_project(where, eval_share=0.5)
    with TestClient(create_app(path)) as client:
        replies = []
        for n in range(10):
            reply = client.get("/api/next?ahead=1", headers=bearer(tokens["alice"])).json()
            replies.append(reply)
            answered = client.post("/api/answers?next=1&ahead=1", headers=bearer(tokens["alice"]),
                                   json={"item_id": reply["item"]["id"], "label": "good", "answer_id": f"e-{n}"})
            replies.append(answered.json())
        replies.append(client.post("/api/undo?ahead=1", headers=bearer(tokens["alice"])).json())
        items = [r[k] for r in replies for k in ("item", "next", "ahead") if r.get(k)]
        assert len(items) >= 30 and all("is_eval" not in item for item in items)
        # The server still knows: the evaluation sample is served (half of the items).
        assert client.get("/api/status", headers=bearer(tokens["alice"])).json()["n_eval"] > 0


def test_with_a_model_no_reply_tells_an_evaluation_item_by_its_guess(where):
    """Once a model existed, /api/next gave a guess on every training item and on no evaluation
    item. The fields of every item in /api/next, /api/answers?next=1 (``next`` and ``ahead``)
    are the same whatever its is_eval, and every one carries a guess (exact counts)."""
    path, tokens = make_project(where, n=120, eval_share=0.3, retrain_every=10_000, seed=3, features="tfidf")
    with Project.open(path) as project:
        for k in range(20):
            item = project.next_item("carol")
            project.answer(item.id, "good" if int(item.id[1:]) % 2 else "bad", "carol")
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["eval_accuracy"] is not None
        is_eval = {item.id: item.is_eval for item in project.peek_items("nobody", 1000)}
    with TestClient(create_app(path)) as client:
        first = client.get("/api/next?ahead=1", headers=bearer(tokens["alice"])).json()
        items, held = [first["item"], first["ahead"]], first["item"]
        for n in range(60):
            reply = client.post("/api/answers?next=1&ahead=1", headers=bearer(tokens["alice"]),
                                json={"item_id": held["id"], "label": None, "answer_id": f"g-{n}"}).json()
            held = reply["next"]
            items += [held, reply["ahead"]]
    table: dict[tuple, int] = {}
    for item in items:
        key = (is_eval[item["id"]], tuple(sorted(item)), item["guess"] is None, item["uncertainty"] is None)
        table[key] = table.get(key, 0) + 1
    fields = ("data", "guess", "id", "suggestion", "suggestion_score", "suggestion_source", "uncertainty")
    assert table == {(False, fields, False, False): 85, (True, fields, False, False): 37}


def test_a_wrong_token_page_links_to_the_port_being_served(tmp_path):
    """Issue 11, defect 12: the no-token page's example link uses this server's address."""
    # A file only: `hilt serve` as a real process, see the CLI faces above.
    path, _ = make_project(tmp_path / "p.hilt")
    with running_server(path) as base:
        page = httpx.get(base + "/?token=wrong", timeout=30)
    assert page.status_code == 401
    assert f"{base}/?token=" in page.text and ":8000" not in page.text


def test_history_lists_recent_answers_and_changes_one(served):
    """The history list: recent answers newest first; a change is a new answer, the old kept."""
    client, tokens = served
    alice = bearer(tokens["alice"])
    answered = []
    for n, label in enumerate(["good", None, "bad"]):
        item = client.get("/api/next", headers=alice).json()["item"]
        client.post("/api/answers", json={"item_id": item["id"], "label": label, "answer_id": f"h-{n}"}, headers=alice)
        answered.append((item["id"], label))
    history = client.get("/api/history?limit=2", headers=alice).json()["answers"]
    assert [(a["item_id"], a["label"]) for a in history] == answered[::-1][:2]
    assert history[0]["snippet"].startswith("review number") and "data" not in history[0]
    assert client.get("/api/history", headers=bearer(tokens["bob"])).json() == {"answers": []}

    first = answered[0][0]
    change = {"item_id": first, "label": "bad", "answer_id": "h-change"}
    reply = client.post("/api/history", json=change, headers=alice)
    assert reply.status_code == 200 and reply.json()["duplicate"] is False
    assert client.post("/api/history", json=change, headers=alice).json()["duplicate"] is True  # a retry
    history = client.get("/api/history", headers=alice).json()["answers"]
    assert (history[0]["item_id"], history[0]["label"]) == (first, "bad") and len(history) == 3
    status = client.get("/api/status", headers=alice).json()
    assert status["by_annotator"] == {"alice": 2} and status["by_label"] == {"bad": 2}
    rows = [json.loads(line) for line in client.get("/api/export?include_retracted=true", headers=alice).text.splitlines()]
    assert [(r["label"], r["retracted"]) for r in rows if r["item_id"] == first] == [("good", True), ("bad", False)]

    bad = client.post("/api/history", json={"item_id": first, "label": "meh"}, headers=alice)
    assert bad.status_code == 400 and "meh" in bad.json()["error"]
    missing = client.post("/api/history", json={"item_id": "nope", "label": "good"}, headers=alice)
    assert missing.status_code == 404 and missing.json()["type"] == "NotFoundError"
    assert client.get("/api/history?limit=0", headers=alice).status_code == 400


# ---- review (issue 13): reviewers settle disagreements and likely label errors --------------


def review_project(path, n=30, **options):
    """A project at ``path``: alice and bob label the first 12 items (overlap 1: every item goes
    to both); they disagree on every third. rita is a reviewer."""
    rows = pd.DataFrame({"id": [f"i{k}" for k in range(n)],
                         "text": [("good fine great" if k % 2 else "bad awful poor") + f" {k}" for k in range(n)]})
    with Project.create(path, rows, LABELS, text_column="text", id_column="id", overlap=1.0,
                        annotators_per_item=2, **options) as project:
        tokens = {name: project.add_annotator(name) for name in ("alice", "bob")}
        tokens["rita"] = project.add_annotator("rita", reviewer=True)
        for k in range(12):
            truth = "good" if k % 2 else "bad"
            project.answer(f"i{k}", truth, "alice")
            project.answer(f"i{k}", truth if k % 3 else ("bad" if truth == "good" else "good"), "bob")
    return path, tokens


@pytest.fixture
def team(where):
    path, tokens = review_project(where)
    with TestClient(create_app(path), raise_server_exceptions=False) as client:
        yield client, tokens


def every_answer(client, token):
    reply = client.get("/api/export?include_retracted=true", headers=bearer(token))
    return [json.loads(line) for line in reply.text.splitlines()]


def test_review_lists_disagreements_and_a_decision_sets_the_final_label(team):
    client, tokens = team
    rita = bearer(tokens["rita"])
    assert client.get("/api/me", headers=rita).json()["role"] == "reviewer"
    reply = client.get("/api/review?limit=50", headers=rita)
    assert reply.status_code == 200
    body = reply.json()
    assert body["labels"] == LABELS and body["keys"] == {"good": "1", "bad": "2"}
    disagreements = [row for row in body["items"] if row["reason"] == "disagreement"]
    assert [row["item_id"] for row in disagreements] == ["i0", "i3", "i6", "i9"]  # oldest first, first in line
    first = body["items"][0]
    assert set(first) == {"item_id", "data", "label", "answers", "reason", "suggested", "score"}
    assert first["data"] == {"text": "bad awful poor 0"}
    assert [(a["annotator"], a["label"], a["role"]) for a in first["answers"]] == [
        ("alice", "bad", "annotate"), ("bob", "good", "annotate")]
    assert first["label"] == "bad"  # a tie: the earliest answer

    decision = {"item_id": "i0", "label": "good", "answer_id": "r-1"}
    saved = client.post("/api/review", json=decision, headers=rita)
    assert saved.status_code == 200
    assert saved.json() == {"saved": True, "answer_id": "r-1", "duplicate": False, "label": "good"}
    again = client.post("/api/review", json=decision, headers=rita)  # a retry: stored once
    assert again.json() == {"saved": True, "answer_id": "r-1", "duplicate": True, "label": "good"}
    rows = every_answer(client, tokens["rita"])
    assert [(r["annotator"], r["label"], r["role"]) for r in rows if r["item_id"] == "i0"] == [
        ("alice", "bad", "annotate"), ("bob", "good", "annotate"), ("rita", "good", "review")]
    final = [json.loads(line) for line in client.get("/api/export", headers=rita).text.splitlines()]
    assert [(r["label"], r["annotator"]) for r in final if r["item_id"] == "i0"] == [("good", "rita")]
    # Decided: it leaves the review list.
    assert "i0" not in [row["item_id"] for row in client.get("/api/review", headers=rita).json()["items"]]
    assert client.get("/api/review?limit=0", headers=rita).status_code == 400


def test_review_is_forbidden_to_a_non_reviewer_and_changes_nothing(team):
    client, tokens = team
    alice = bearer(tokens["alice"])
    before = every_answer(client, tokens["alice"])
    listing = client.get("/api/review", headers=alice)
    assert listing.status_code == 403
    assert listing.json()["type"] == "ForbiddenError" and "reviewer" in listing.json()["error"]
    decision = client.post("/api/review", json={"item_id": "i0", "label": "good", "answer_id": "x"}, headers=alice)
    assert decision.status_code == 403 and decision.json()["type"] == "ForbiddenError"
    assert every_answer(client, tokens["alice"]) == before
    assert client.get("/api/me", headers=alice).json()["role"] == "annotator"


def test_review_bad_label_unknown_item_and_malformed_body_are_4xx_and_change_nothing(team):
    client, tokens = team
    rita = bearer(tokens["rita"])
    before = every_answer(client, tokens["rita"])
    bad = client.post("/api/review", json={"item_id": "i0", "label": "meh"}, headers=rita)
    assert bad.status_code == 400 and bad.json()["type"] == "InputError" and "meh" in bad.json()["error"]
    skip = client.post("/api/review", json={"item_id": "i0", "label": None}, headers=rita)
    assert skip.status_code == 400  # a reviewer decides; there is no skipping a decision
    missing = client.post("/api/review", json={"item_id": "nope", "label": "good"}, headers=rita)
    assert missing.status_code == 404 and missing.json()["type"] == "NotFoundError"
    malformed = client.post("/api/review", content="not json", headers={**rita, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and set(malformed.json()) == {"error", "type"}
    no_item = client.post("/api/review", json={"label": "good"}, headers=rita)
    assert no_item.status_code == 400 and "item_id" in no_item.json()["error"]
    assert every_answer(client, tokens["rita"]) == before


def test_review_page_is_for_reviewers_and_linked_for_them_only(team):
    client, tokens = team
    client.get(f"/?token={tokens['alice']}")
    assert 'href="/review"' not in client.get("/").text
    page = client.get("/review")
    assert page.status_code == 403 and "--reviewer" in page.text
    client.get(f"/?token={tokens['rita']}")
    assert 'href="/review"' in client.get("/").text and 'href="/review"' in client.get("/dashboard").text
    page = client.get("/review")
    assert page.status_code == 200 and "review.js" in page.text and "<kbd>1</kbd>" in page.text
    assert client.get("/static/review.js").status_code == 200


def test_dashboard_shows_the_accuracy_interval_and_agreement(where):
    path, tokens = review_project(where, n=60, eval_share=0.5, retrain_every=1000)
    with Project.open(path) as project:
        for k in range(12, 60):
            project.answer(f"i{k}", "good" if k % 2 else "bad", "alice")
        project.retrain(wait=True)
        run = project.status()["runs"][-1]
    low, high = run["eval_ci"]
    expected = (f"{run['eval_accuracy'] * 100:.0f} % (95 % CI {low * 100:.0f}–{high * 100:.0f} %) "
                f"on {run['n_eval']} evaluation items")
    with TestClient(create_app(path)) as client:
        client.get(f"/dashboard?token={tokens['alice']}")
        page = client.get("/dashboard").text.replace("\u00a0", " ")
    assert run["n_eval"] > 0 and expected in page
    assert 'class="chart-band"' in page
    assert 'id="agreement"' in page and "Krippendorff" in page and "alice · bob" in page


def test_dashboard_has_no_agreement_panel_without_overlap(served):
    client, tokens = served
    client.get(f"/dashboard?token={tokens['alice']}")
    assert 'id="agreement"' not in client.get("/dashboard").text


def test_learning_curve_draws_the_interval_band():
    runs = [{"n_train": 10, "eval_accuracy": 0.6, "eval_ci": [0.31, 0.83], "n_eval": 10},
            {"n_train": 20, "eval_accuracy": 0.7, "eval_ci": [0.48, 0.85], "n_eval": 20}]
    svg = learning_curve_svg(runs)
    assert svg.count('class="chart-band"') == 1 and svg.count("<circle") == 2
    assert "20 labels: 70.0% (95 % CI 48%–85%) on 20 evaluation items" in svg
    assert ">30%<" in svg  # the axis reaches down to the band's lowest point


def test_isolate_retrains_sends_a_served_projects_background_runs_to_the_retrain_process(tmp_path):
    # A retrain in a thread of the server holds its GIL and delays the requests served meanwhile
    # (the server benchmark's p99): isolate_retrains sends every background run to the child
    # process, even for a 40-item pool that a notebook or `hilt label` retrains in a thread.
    # `hilt serve` starts the child with the server (start=True): begun at the first run, its
    # seconds of imports delayed that run past the end of a short session.
    path, tokens = make_project(tmp_path / "p.hilt", retrain_every=4, features="tfidf")
    project = Project.open(path)
    project.isolate_retrains(start=True)  # returns at once: the child starts in a thread
    deadline = time.monotonic() + 60
    while project._job._child is None and time.monotonic() < deadline:
        time.sleep(0.05)
    child = project._job._child
    assert child is not None and child.poll() is None and not project.status()["runs"]
    with TestClient(create_app(project)) as client:
        for k in range(12):  # enough training labels past the evaluation sample's share
            item = client.get("/api/next", headers=bearer(tokens["alice"])).json()["item"]
            reply = client.post("/api/answers", json={"item_id": item["id"], "label": LABELS[k % 2]},
                                headers=bearer(tokens["alice"]))
            assert reply.status_code == 200
        deadline = time.monotonic() + 60
        while not project.status()["runs"] and time.monotonic() < deadline:
            time.sleep(0.1)  # the run happens in the background: wait for its row, not for time
        assert project.status()["runs"], f"no background run within 60 s: {project.status()['retrain_error']}"
        assert project._job._child is child and child.poll() is None  # the run went to the child started up front
    project.close()
    with Project.open(path) as notebook:  # without a server, small pools keep the thread
        assert notebook._job.child_min_items > 40


def test_isolate_retrains_starts_no_child_where_processes_are_not_allowed(tmp_path, monkeypatch):
    path, _ = make_project(tmp_path / "p.hilt", features="tfidf")
    monkeypatch.setenv("HILT_RETRAIN_PROCESS", "never")
    with Project.open(path) as project:
        project.isolate_retrains(start=True)
        time.sleep(0.5)  # (a start would have begun in its thread by now)
        assert project._job._child is None


def test_a_single_digit_label_is_its_own_key_on_the_page(tmp_path):
    """Issue 21, defect 7: with labels 0..9 the button of label "0" had key 1."""
    digits = [str(d) for d in range(10)]
    rows = pd.DataFrame({"text": [f"digit drawing {k}" for k in range(12)]})
    path = tmp_path / "d.hilt"
    with Project.create(path, rows, digits, features="tfidf") as project:
        token = project.add_annotator("alice")
    with TestClient(create_app(path)) as client:
        page = client.get(f"/?token={token}").text
    for digit in digits:
        assert f'data-label="{digit}" data-key="{digit}"' in page
