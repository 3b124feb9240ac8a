"""Spans projects through the faces: ``hilt init --task spans`` from a CoNLL file and from JSON
lines, ``status``, ``export`` (JSON lines, CoNLL), ``simulate --task spans`` (the CLI, in process),
and the HTTP API's served tokens, answers, 4xx on bad spans and review with span lists."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from helpers import hilt, user_error

from hilt import Project
from hilt.server import create_app
from hilt.tasks.spans_text import tokenize

CONLL = """-DOCSTART- -X- O O

Grace B-PER
Hopper I-PER
visited O
Paris B-LOC

Nothing O
here O

Ada B-PER
met O
Alan B-PER
Turing I-PER
in O
London B-LOC
"""


def test_init_from_a_conll_file_then_status_and_export_jsonl_and_conll(tmp_path):
    (tmp_path / "people.conll").write_text(CONLL)
    result = hilt("init", tmp_path / "p.hilt", "--data", tmp_path / "people.conll", "--labels", "PER,LOC",
                  "--task", "spans", "--eval-share", "0")
    assert result.returncode == 0, result.stderr
    assert "task spans" in result.stderr and "3 already labelled" in result.stderr
    status = json.loads(hilt("status", tmp_path / "p.hilt", "--json").stdout)
    assert status["task"] == "spans" and status["by_label"] == {"PER": 2, "LOC": 2}
    hilt("export", tmp_path / "p.hilt", "-o", tmp_path / "out.jsonl")
    rows = {r["text"]: r["label"] for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert rows["Grace Hopper visited Paris"] == [{"start": 0, "end": 12, "label": "PER"},
                                                  {"start": 21, "end": 26, "label": "LOC"}]
    assert rows["Nothing here"] == []
    out = hilt("export", tmp_path / "p.hilt", "-o", tmp_path / "out.conll")
    assert out.returncode == 0, out.stderr
    written = (tmp_path / "out.conll").read_text()
    assert "Grace\tB-PER\nHopper\tI-PER\nvisited\tO\nParis\tB-LOC\n" in written
    assert "Alan\tB-PER\nTuring\tI-PER\n" in written


def test_a_bad_conll_line_and_a_bad_spans_cell_are_exit_2_with_the_line(tmp_path):
    (tmp_path / "bad.conll").write_text("Grace B-PER\nHopper X-PER\n")
    bad = hilt("init", tmp_path / "p.hilt", "--data", tmp_path / "bad.conll", "--labels", "PER", "--task", "spans")
    assert "line 2" in user_error(bad) and not (tmp_path / "p.hilt").exists()
    (tmp_path / "bad.jsonl").write_text(json.dumps({"text": "Ada sings", "spans": [{"start": 0, "end": 3, "label": "PER"}]})
                                        + "\n" + json.dumps({"text": "Bob", "spans": [{"start": 0, "end": 9, "label": "PER"}]}) + "\n")
    cell = hilt("init", tmp_path / "q.hilt", "--data", tmp_path / "bad.jsonl", "--labels", "PER", "--task", "spans",
                "--label-column", "spans")
    message = user_error(cell)
    assert "line 2" in message and "span 1" in message and "expected end <= 3" in message
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n3,4\n")
    assert "Expected texts for task 'spans'" in user_error(
        hilt("init", tmp_path / "t.hilt", "--data", table, "--labels", "PER", "--task", "spans"))
    assert "committee" in user_error(hilt("init", tmp_path / "c.hilt", "--data", tmp_path / "bad.conll", "--labels",
                                          "PER", "--task", "spans", "--strategy", "committee"))


def test_simulate_task_spans_on_the_bundled_tweets(tmp_path):
    result = hilt("simulate", "wnut16", "--task", "spans", "--strategies", "random,margin", "--init", "50",
                  "--batch", "50", "--budget", "100", "--seeds", "1", "--no-plot", "--quiet",
                  "--json", tmp_path / "s.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["settings"]["task"] == "spans" and report["settings"]["metric"] == "entity-F1"
    assert {c["strategy"] for c in report["curves"]} == {"random", "margin"}
    assert 0.0 < report["full_accuracy"] < 1.0  # entity F1 of the CRF on the whole pool
    assert "entity-F1" in result.stdout


# -- HTTP ----------------------------------------------------------------------------------------------------

@pytest.fixture
def served(tmp_path):
    path = tmp_path / "p.hilt"
    rows = [{"id": f"t{i}", "text": text} for i, text in
            enumerate(["Grace Hopper visited Paris 🇫🇷", "Ada met Alan", "Nothing here", "Rain in Oslo"])]
    (tmp_path / "items.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    with Project.create(path, tmp_path / "items.jsonl", ["PER", "LOC"], task="spans", id_column="id",
                        eval_share=0.0, strategy="random") as project:
        tokens = {"ada": project.add_annotator("ada"), "rev": project.add_annotator("rev", reviewer=True)}
    with TestClient(create_app(path)) as client:
        yield client, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def test_the_api_serves_tokens_and_takes_span_lists(served):
    client, headers = served
    me = client.get("/api/me", headers=headers["ada"]).json()
    assert me["task"] == "spans"
    item = client.get("/api/next", headers=headers["ada"]).json()["item"]
    assert item["tokens"] == [list(t) for t in tokenize(item["data"]["text"])] and item["suggest"] is False
    spans = [{"start": 0, "end": 3, "label": "PER"}]
    reply = client.post("/api/answers?next=1", headers=headers["ada"],
                        json={"item_id": item["id"], "label": spans, "answer_id": "h1"})
    assert reply.status_code == 200 and reply.json()["saved"]
    assert "tokens" in reply.json()["next"]
    history = client.get("/api/history", headers=headers["ada"]).json()["answers"]
    assert history[0]["label"] == spans
    exported = [json.loads(line) for line in client.get("/api/export", headers=headers["ada"]).text.splitlines()]
    assert exported[0]["label"] == spans
    decided = client.post("/api/review", headers=headers["rev"], json={"item_id": item["id"], "label": []})
    assert decided.status_code == 200 and decided.json()["label"] == []


@pytest.mark.parametrize("label, words", [
    ([{"start": 0, "end": 99, "label": "PER"}], "expected end <="),
    ([{"start": 0, "end": 3, "label": "ORG"}], "'ORG'"),
    ([{"start": 0, "end": 4, "label": "PER"}, {"start": 2, "end": 6, "label": "LOC"}], "overlap"),
    ("PER", "list of spans"),
    ([{"start": 0, "label": "PER"}], "end missing"),
])
def test_a_bad_span_is_a_4xx_that_names_it_and_nothing_is_stored(served, label, words):
    client, headers = served
    item = client.get("/api/next", headers=headers["ada"]).json()["item"]["id"]
    reply = client.post("/api/answers", headers=headers["ada"], json={"item_id": item, "label": label})
    assert 400 <= reply.status_code < 500 and words in reply.json()["error"]
    assert client.get("/api/status", headers=headers["ada"]).json()["n_answered"] == 0
