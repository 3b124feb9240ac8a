"""Time per item: the seconds answers and review decisions keep, read back as medians (status,
hilt status, hilt annotator list, the dashboard, the API) and exported with every answer; the
terminal's clock."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from helpers import hilt
from hilt.cli._label_loop import run_label_loop
from hilt.project import Project
from hilt.server import create_app

FRAME = pd.DataFrame({"id": [f"r{k}" for k in range(6)], "text": [f"review number {k}" for k in range(6)]})


def make(location, **options) -> Project:
    return Project.create(location, FRAME, ["pos", "neg"], id_column="id", eval_share=0, features="tfidf",
                          retrain_every=100, **options)


def timed_answers(project: Project) -> None:
    """Answers whose medians are worked out by hand in the test below."""
    project.add_annotator("rita", reviewer=True)
    for item, label, who, seconds in [("r0", "pos", "ana", 2), ("r1", "neg", "ana", 10), ("r2", "pos", "ana", 4),
                                      ("r3", None, "ana", 100),  # a skip: left out
                                      ("r0", "pos", "bob", 6), ("r4", "neg", "bob", 3),
                                      ("r5", "neg", "bob", None)]:  # no time measured: left out
        project.answer(item, label, who, seconds=seconds)
    project.answer("r5", "pos", "ana", seconds=50)
    project.undo("ana")  # retracted: left out
    project.review("r2", "neg", "rita", seconds=8)  # r2's final label is now neg


def test_status_gives_medians_overall_per_annotator_and_per_final_label(where):
    with make(where) as project:
        timed_answers(project)
        spent = project.status().seconds
        listed = {row.name: row.median_seconds for row in project.annotator_list()}
    # Timed current labelled answers: ana 2 (r0 pos), 10 (r1 neg), 4 (r2, now neg); bob 6 (r0 pos),
    # 3 (r4 neg); rita 8 (r2 neg). Overall 2 3 4 6 8 10 -> 5; ana 2 4 10 -> 4; bob 3 6 -> 4.5;
    # pos (r0) 2 6 -> 4; neg (r1, r2, r2, r4) 3 4 8 10 -> 6.
    assert spent.to_dict() == {"median": 5.0, "n_answers": 6, "by_annotator": {"ana": 4.0, "bob": 4.5, "rita": 8.0},
                               "by_label": {"pos": 4.0, "neg": 6.0}}
    assert listed == {"ana": 4.0, "bob": 4.5, "rita": 8.0}


def test_no_timed_answer_gives_no_median(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        project.answer("r0", "pos", "ana")
        assert project.status().seconds.to_dict() == {"median": None, "n_answers": 0, "by_annotator": {},
                                                      "by_label": {}}


def test_the_faces_show_the_medians(tmp_path):
    path = tmp_path / "p.hilt"
    with make(path) as project:
        timed_answers(project)
        token = project.add_annotator("ana")
        with TestClient(create_app(project)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/status", headers=auth).json()["seconds"]["by_label"] == {"pos": 4.0, "neg": 6.0}
            board = client.get("/dashboard?partial=1", headers=auth).text
    assert 'id="median-seconds">5.0 s<' in board and ">4.5 s</td>" in board
    status = hilt("status", path)
    assert status.returncode == 0, status.stderr
    assert "median time per item" in status.stdout and "5.0 s (over 6 timed answers)" in status.stdout
    assert "6.0 s" in status.stdout  # neg's median in the labels table
    listed = hilt("annotator", "list", path)
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.count("│") > 4}
    assert "4.5 s" in rows["bob"] and "8.0 s" in rows["rita"] and "median time" in listed.stdout
    as_json = json.loads(hilt("status", path, "--json").stdout)
    assert as_json["seconds"]["median"] == 5.0


def test_the_api_takes_seconds_with_answers_and_reviews_and_refuses_bad_ones(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        ana = project.add_annotator("ana")
        rita = project.add_annotator("rita", reviewer=True)
        with TestClient(create_app(project)) as client:
            def post(url, body, token=ana):
                return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})

            assert post("/api/answers", {"item_id": "r0", "label": "pos", "seconds": 3.25}).status_code == 200
            assert post("/api/answers", {"item_id": "r1", "label": "neg"}).status_code == 200  # optional
            assert post("/api/answers", {"item_id": "r2", "label": "neg", "seconds": 1e9}).status_code == 200
            assert post("/api/review", {"item_id": "r0", "label": "neg", "seconds": 7}, rita).status_code == 200
            negative = post("/api/answers", {"item_id": "r3", "label": "pos", "seconds": -1})
            assert negative.status_code == 400 and "Expected seconds to be a number >= 0" in negative.json()["error"]
            words = post("/api/answers", {"item_id": "r3", "label": "pos", "seconds": "slow"})
            assert words.status_code == 400 and "seconds" in words.json()["error"]
            bad_review = post("/api/review", {"item_id": "r1", "label": "pos", "seconds": -2}, rita)
            assert bad_review.status_code == 400
        rows = project.export_rows(include_retracted=True)
    assert [(r["item_id"], r["role"], r["seconds"]) for r in rows] == [
        ("r0", "annotate", 3.25), ("r1", "annotate", None), ("r2", "annotate", 3600.0), ("r0", "review", 7.0)]


def test_export_of_every_answer_carries_seconds_batch_and_kept_suggestion(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        project.answer("r0", "pos", "ana", seconds=2.5)
        project.answer("r1", None, "ana", seconds=1)
        project._store.record_answer("r2", "neg", "bob", "bulk-1", batch="b7", kept_suggestion=1)
        out = io.StringIO()
        project.export(out, format="csv", include_retracted=True)
        current = io.StringIO()
        project.export(current, format="csv")
        jsonl = tmp_path / "all.jsonl"
        project.export(jsonl, include_retracted=True)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0])[:10] == ["item_id", "label", "annotator", "answered_at", "answer_id", "retracted", "role",
                                  "seconds", "batch", "kept_suggestion"]
    assert [(r["item_id"], r["seconds"], r["batch"], r["kept_suggestion"]) for r in rows] == [
        ("r0", "2.5", "", ""), ("r1", "1.0", "", ""), ("r2", "", "b7", "True")]  # empty when not recorded
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [(r["seconds"], r["batch"], r["kept_suggestion"]) for r in lines][2] == (None, "b7", True)
    # The current labels' export stays as it was: one row per label, no answer-level columns.
    assert "seconds" not in current.getvalue().splitlines()[0]


class Ticks:
    """A clock that moves only when the test says: each read returns the time now."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_terminal_keeps_the_seconds_from_showing_to_answer_less_the_help():
    import tempfile
    from pathlib import Path

    clock = Ticks()

    def keys():
        clock.now += 4  # 4 s on the first item, then ? …
        yield "?"
        clock.now += 30  # … 30 s reading the help: not counted
        yield "v"
        clock.now += 2  # 2 s more on it (v redraws the same item: its time goes on)
        yield "1"
        clock.now += 7  # the second item
        yield "2"
        yield "q"

    with make(Path(tempfile.mkdtemp()) / "p.hilt") as project:
        run_label_loop(project, "ana", keys(), Console(file=io.StringIO(), width=100), wait_for_model=0, now=clock)
        rows = project.export_rows(include_retracted=True)
    assert [(r["label"], r["seconds"]) for r in rows] == [("pos", 6.0), ("neg", 7.0)]


def test_hilt_label_in_process_stores_a_time_for_each_answer(tmp_path):
    path = tmp_path / "p.hilt"
    make(path).close()
    done = hilt("label", path, "--annotator", "ana", "--wait", "0", input="?\n1\ns\nq\n")
    assert done.returncode == 0, done.stderr
    assert "This project has no guidelines" in done.stdout
    with Project.open(path) as project:
        rows = project.export_rows(include_retracted=True)
    assert [r["label"] for r in rows] == ["pos", None]
    assert all(r["seconds"] is not None and 0 <= r["seconds"] < 30 for r in rows)
