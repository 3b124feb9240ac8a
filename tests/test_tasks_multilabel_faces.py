"""Multi-label projects through the faces: ``hilt init --task``, ``status``, ``config``, ``import``,
``export`` (the CLI, in process), and the HTTP API's answers, review and history with label lists."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from helpers import hilt, user_error

from hilt import Project
from hilt.server import create_app

LABELS = "red,green,car"


def write_items(path, n=30):
    rows = ["id,text,tags"]
    for i in range(n):
        rows += [f"r{i},red car {i},red;car", f"g{i},green tree {i},green", f"b{i},blue sky {i},"]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_init_with_task_multilabel_then_status_config_and_export(tmp_path):
    data = write_items(tmp_path / "items.csv")
    result = hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", LABELS, "--task", "multilabel",
                  "--label-column", "tags", "--id-column", "id", "--features", "tfidf", "--eval-share", "0")
    assert result.returncode == 0, result.stderr
    assert "task multilabel" in result.stderr and "60 already labelled" in result.stderr
    status = json.loads(hilt("status", tmp_path / "p.hilt", "--json").stdout)
    assert status["task"] == "multilabel" and status["by_label"] == {"red": 30, "green": 30, "car": 30}
    shown = hilt("status", tmp_path / "p.hilt").stdout
    assert "multilabel" in shown
    config = hilt("config", tmp_path / "p.hilt").stdout
    assert "multilabel  (set at hilt init)" in config
    out = hilt("export", tmp_path / "p.hilt", "-o", tmp_path / "out.csv", "--one-hot", "--label-separator", "|")
    assert out.returncode == 0, out.stderr
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = {row["item_id"]: row for row in csv.DictReader(handle)}
    assert rows["r0"]["label"] == "red|car" and (rows["r0"]["label_red"], rows["r0"]["label_car"]) == ("1", "1")
    assert "b0" not in rows  # an empty cell: not labelled
    hilt("export", tmp_path / "p.hilt", "-o", tmp_path / "out.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {line["item_id"]: line["label"] for line in lines}["g3"] == ["green"]


def test_status_shows_the_multilabel_figures_with_intervals(tmp_path):
    data = write_items(tmp_path / "items.csv")
    hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", LABELS, "--task", "multilabel", "--id-column", "id",
         "--features", "tfidf", "--eval-share", "0.3", "--strategy", "random")
    with Project.open(tmp_path / "p.hilt") as project:
        truth = {"r": ["red", "car"], "g": ["green"], "b": []}
        while (item := project.next_item("ada")) is not None:
            project.answer(item.id, truth[item.id[0]], "ada")
        project.retrain(wait=True)
    shown = hilt("status", tmp_path / "p.hilt").stdout
    for words in ("eval micro-F1 (95 % CI)", "Latest eval micro-F1", "macro-F1", "subset accuracy", "Hamming loss"):
        assert words in shown
    run = json.loads(hilt("status", tmp_path / "p.hilt", "--json").stdout)["runs"][-1]
    assert set(run["metrics"]) == {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"}


def test_init_refuses_an_unknown_task_and_import_reads_a_separator(tmp_path):
    data = write_items(tmp_path / "items.csv", n=2)
    bad = hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", LABELS, "--task", "multi")
    assert bad.returncode == 2 and "Expected task to be one of single, multilabel, spans; got 'multi'" in user_error(bad)
    assert not (tmp_path / "p.hilt").exists()
    hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", LABELS, "--task", "multilabel", "--id-column", "id",
         "--features", "tfidf")
    more = tmp_path / "more.csv"
    more.write_text("id,text,tags\nx,green car,green/car\n")
    done = hilt("import", tmp_path / "p.hilt", more, "--label-column", "tags", "--label-separator", "/")
    assert done.returncode == 0, done.stderr
    with Project.open(tmp_path / "p.hilt") as project:
        assert {r["item_id"]: r["label"] for r in project.export_rows()}["x"] == ["green", "car"]
    single = hilt("export", tmp_path / "p.hilt", "-o", tmp_path / "x.csv", "--predictions", "--one-hot")
    assert single.returncode == 2 and "--one-hot" in user_error(single)


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "p.hilt"
    with Project.create(path, write_items(tmp_path / "items.csv", n=4), LABELS.split(","), task="multilabel",
                        id_column="id", features="tfidf", eval_share=0.0, strategy="random") as project:
        tokens = {"ada": project.add_annotator("ada"), "rev": project.add_annotator("rev", reviewer=True)}
    with TestClient(create_app(path)) as client:
        yield client, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def test_the_api_takes_label_lists_and_gives_lists_back(served):
    client, headers = served
    me = client.get("/api/me", headers=headers["ada"]).json()
    assert me["task"] == "multilabel" and me["labels"] == ["red", "green", "car"]
    item = client.get("/api/next", headers=headers["ada"]).json()["item"]["id"]
    reply = client.post("/api/answers?next=1", headers=headers["ada"],
                        json={"item_id": item, "label": ["car", "red"], "answer_id": "h1"})
    assert reply.status_code == 200 and reply.json()["saved"]
    second = reply.json()["next"]["id"]
    assert client.post("/api/answers", headers=headers["ada"],
                       json={"item_id": second, "label": [], "answer_id": "h2"}).status_code == 200
    again = client.post("/api/answers", headers=headers["ada"],
                        json={"item_id": item, "label": ["red", "car"], "answer_id": "h1"})
    assert again.json()["duplicate"]
    history = client.get("/api/history", headers=headers["ada"]).json()["answers"]
    assert [a["label"] for a in history] == [[], ["red", "car"]]
    changed = client.post("/api/history", headers=headers["ada"], json={"item_id": second, "label": ["green"]})
    assert changed.status_code == 200
    status = client.get("/api/status", headers=headers["ada"]).json()
    assert status["task"] == "multilabel" and status["by_label"] == {"red": 1, "green": 1, "car": 1}
    exported = client.get("/api/export", headers=headers["ada"])
    assert sorted(json.loads(line)["label"] for line in exported.text.splitlines()) == [["green"], ["red", "car"]]
    as_csv = client.get("/api/export?format=csv", headers=headers["ada"])
    assert sorted(row["label"] for row in csv.DictReader(io.StringIO(as_csv.text))) == ["green", "red;car"]


@pytest.mark.parametrize("label, status, words", [
    ("red", 400, "Expected a list of labels from red, green, car"),
    (["red", "blue"], 400, "got 'blue'"),
    (["red", "red"], 400, "at most once"),
    ([1], 400, "label"),
    ({"red": True}, 400, "label"),
])
def test_a_bad_answer_shape_is_a_4xx_with_a_clear_message(served, label, status, words):
    client, headers = served
    item = client.get("/api/next", headers=headers["ada"]).json()["item"]["id"]
    reply = client.post("/api/answers", headers=headers["ada"], json={"item_id": item, "label": label})
    assert reply.status_code == status
    assert words in reply.json()["error"]
    assert client.get("/api/status", headers=headers["ada"]).json()["n_answered"] == 0


def test_a_reviewer_settles_an_item_with_a_set_over_http(served):
    client, headers = served
    item = client.get("/api/next", headers=headers["ada"]).json()["item"]["id"]
    client.post("/api/answers", headers=headers["ada"], json={"item_id": item, "label": ["red"]})
    decided = client.post("/api/review", headers=headers["rev"], json={"item_id": item, "label": ["green", "car"]})
    assert decided.status_code == 200 and decided.json()["label"] == ["green", "car"]
    bad = client.post("/api/review", headers=headers["rev"], json={"item_id": item, "label": "green"})
    assert bad.status_code == 400 and "Expected a list of labels" in bad.json()["error"]


def test_agreement_and_label_issues_commands_on_a_multilabel_project(tmp_path):
    data = write_items(tmp_path / "items.csv", n=10)
    hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", LABELS, "--task", "multilabel", "--id-column", "id",
         "--features", "tfidf", "--eval-share", "0", "--overlap", "1", "--strategy", "random")
    truth = {"r": ["red", "car"], "g": ["green"], "b": []}
    with Project.open(tmp_path / "p.hilt") as project:
        for person in ("ada", "bob"):
            while (item := project.next_item(person)) is not None:
                wrong = person == "bob" and item.id.endswith("3")
                project.answer(item.id, ["red"] if wrong else truth[item.id[0]], person)
    shown = hilt("agreement", tmp_path / "p.hilt").stdout
    assert "MASI" in shown and "alpha of green" in shown
    report = json.loads(hilt("agreement", tmp_path / "p.hilt", "--json").stdout)
    assert set(report["per_label"]) == {"red", "green", "car"}
    issues = hilt("label-issues", tmp_path / "p.hilt", "--json")
    assert issues.returncode == 0, issues.stderr
    rows = json.loads(issues.stdout)
    assert rows and all(isinstance(row["label"], list) and row["issue_label"] in LABELS.split(",") for row in rows)
    table = hilt("label-issues", tmp_path / "p.hilt").stdout
    assert "*" in table
