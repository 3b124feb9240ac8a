"""Multi-label projects end to end through the library: create, answer, combine, review, agree,
retrain and measure, find label issues, import and export; and a project made by today's hilt
opening as ``single``."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from hilt import Project
from hilt.errors import InputError
from hilt.store import SCHEMA_VERSION

LABELS = ["red", "green", "car"]
TEXTS = ["red apple", "green apple", "red car", "blue car", "green tree", "red tree", "blue sky", "green car"]
TAGS = [["red"], ["green"], ["red", "car"], ["car"], ["green"], ["red"], [], ["green", "car"]]
DATA = Path(__file__).parent / "data"


def frame(n: int = 40, labelled: int = 0) -> pd.DataFrame:
    rows = pd.DataFrame({"text": [f"{TEXTS[i % 8]} {i}" for i in range(n)]})
    if labelled:
        rows["y"] = [json.dumps(TAGS[i % 8]) if i < labelled else None for i in range(n)]
    return rows


def tags_of(item_id: str) -> list[str]:
    return TAGS[int(item_id) % 8]


def make(where, n=40, **options) -> Project:
    options = {"features": "tfidf", "seed": 1, "eval_share": 0.0, "strategy": "random", **options}
    labelled = options.pop("labelled", 0)
    if labelled:
        options["label_column"] = "y"
    return Project.create(where, frame(n, labelled), LABELS, task="multilabel", **options)


# -- answers ---------------------------------------------------------------------------------------

def test_a_column_of_label_sets_left_unimported_is_never_shown_nor_a_feature(tmp_path):
    # The answers as joined sets ("red;car") or JSON lists, but not named as the label column:
    # like a column of label names in a single-label project, it is hidden from people.
    data = frame(16)
    data["tags"] = [";".join(TAGS[i % 8]) for i in range(16)]
    data["json_tags"] = [json.dumps(TAGS[i % 8]) for i in range(16)]
    data["note"] = [f"note {i}" for i in range(16)]
    with Project.create(tmp_path / "p.hilt", data, LABELS, task="multilabel", features="tfidf", seed=1) as project:
        shown = set(project.next_item("ana").data)
        assert "tags" not in shown and "json_tags" not in shown and {"text", "note"} <= shown
        assert project.text_column == "text"



def test_a_multilabel_project_keeps_its_task_and_takes_sets(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        assert project.task == "multilabel" and project.status()["task"] == "multilabel"
        assert project._store.meta()["task"] == "multilabel"
        first = project.next_item("ada")
        project.answer(first.id, {"car", "red"}, "ada")
        second = project.next_item("ada")
        project.answer(second.id, [], "ada")  # none of these: an answer
        third = project.next_item("ada")
        project.answer(third.id, None, "ada")  # a skip
        status = project.status()
        assert (status.n_answered, status.n_skipped) == (2, 1)
        assert status.by_label == {"red": 1, "car": 1}
        assert [a["label"] for a in project.recent_answers("ada")] == [None, [], ["red", "car"]]
        stored = dict(sqlite3.connect(tmp_path / "p.hilt").execute("SELECT i.key, a.label FROM answers a "
                                                                     "JOIN items i ON i.id = a.item").fetchall())
        assert stored == {first.id: '["red","car"]', second.id: "[]", third.id: None}
    with Project.open(tmp_path / "p.hilt") as project:
        assert project.task == "multilabel"


@pytest.mark.parametrize("bad, message", [
    ("red", r"Expected a list of labels from red, green, car"),
    (["red", "blue"], r"got 'blue' in \['red', 'blue'\]"),
    (("red", "red"), r"got 'red' twice"),
])
def test_a_bad_answer_shape_is_refused_and_nothing_is_stored(tmp_path, bad, message):
    with make(tmp_path / "p.hilt") as project:
        item = project.next_item("ada")
        with pytest.raises(InputError, match=message):
            project.answer(item.id, bad, "ada")
        with pytest.raises(InputError, match=message):
            project.change_answer(item.id, bad, "ada")
        assert project.status().n_answered == 0 and project.status().n_skipped == 0


def test_changing_and_undoing_an_answer_keep_sets(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        item = project.next_item("ada")
        project.answer(item.id, ["red"], "ada", answer_id="a1")
        assert project.answer(item.id, ("red",), "ada", answer_id="a1")["duplicate"]  # same set, any form
        project.change_answer(item.id, ["green", "red"], "ada")
        assert [row["label"] for row in project.export_rows()] == [["red", "green"]]
        assert project.undo("ada").id == item.id
        assert project.status().n_answered == 0


def test_two_people_per_label_majority_and_a_reviewers_set_settles_it(tmp_path):
    with make(tmp_path / "p.hilt", overlap=1.0, annotators_per_item=3) as project:
        item = project.next_item("ada")
        project.answer(item.id, ["red", "green"], "ada")
        project.answer(item.id, ["red"], "bob")
        project.answer(item.id, ["red", "car"], "cy")
        assert project.export_rows()[0]["label"] == ["red"]  # green 1 of 3, car 1 of 3
        project.add_annotator("rev", reviewer=True)
        rows = project.review_items("rev", 5, include_issues=False)
        assert rows[0]["label"] == ["red"] and rows[0]["reason"] == "disagreement"
        assert sorted((a["annotator"], a["label"]) for a in rows[0]["answers"]) == [
            ("ada", ["red", "green"]), ("bob", ["red"]), ("cy", ["red", "car"])]
        reply = project.review(item.id, ["car"], "rev")
        assert reply["label"] == ["car"]
        assert project.export_rows()[0]["label"] == ["car"] and project.status().by_label == {"car": 1}
        with pytest.raises(InputError, match="Expected a list of labels"):
            project.review(item.id, "car", "rev")


def test_agreement_is_alpha_with_masi_and_per_label(tmp_path):
    from hilt.quality.label_sets import krippendorff_alpha

    answers = {"ada": [["red"], ["green", "car"], [], ["red", "car"]],
               "bob": [["red"], ["green"], ["car"], ["red", "car"]]}
    with make(tmp_path / "p.hilt", n=4, overlap=1.0, annotators_per_item=2) as project:
        for k in range(4):
            for who in ("ada", "bob"):
                project.answer(str(k), answers[who][k], who)
        report = project.agreement()
        units = [k for k in range(4) for _ in range(2)]
        values = [frozenset(answers[who][k]) for k in range(4) for who in ("ada", "bob")]
        assert report.n_items == 4 and report.alpha == pytest.approx(krippendorff_alpha(units, values))
        assert report.per_label["red"] == pytest.approx(1.0)
        assert set(report.per_label) == set(LABELS)
        assert "per_label" in project.status().to_dict()["agreement"]


# -- the model, its figures and its issues -------------------------------------------------------------

def test_a_run_measures_micro_f1_and_the_other_figures_with_intervals(tmp_path):
    with make(tmp_path / "p.hilt", n=80, eval_share=0.25, retrain_every=1000) as project:
        while (item := project.next_item("ada")) is not None:
            project.answer(item.id, tags_of(item.id), "ada")
        project.retrain(wait=True)
        run = project.status().runs[-1]
        assert run.n_eval > 0 and run.n_train + run.n_eval == 80
        assert set(run.metrics) == {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"}
        assert run.eval_accuracy == run.metrics["micro_f1"]["value"]
        assert run.eval_ci == run.metrics["micro_f1"]["ci"]
        for figure in run.metrics.values():
            assert figure["ci"][0] <= figure["value"] <= figure["ci"][1]
        assert json.loads(json.dumps(project.status().to_dict()))["runs"][-1]["metrics"] == run.metrics
        predictions = project.predictions()
        assert list(predictions.columns) == ["item_id", "label", "predicted", "is_eval",
                                             "prob_red", "prob_green", "prob_car"]
        assert all(isinstance(p, list) for p in predictions["predicted"])


def test_single_runs_keep_their_figures_as_before(tmp_path):
    with Project.create(tmp_path / "p.hilt", frame(20), ["a", "b"], features="tfidf", seed=0,
                        eval_share=0.3) as project:
        assert project.task == "single" and project.status()["task"] == "single"
        while (item := project.next_item("ada")) is not None:
            project.answer(item.id, "a" if int(item.id) % 2 else "b", "ada")
        project.retrain(wait=True)
        run = project.status().runs[-1]
        assert run.metrics is None and "metrics" not in run.to_dict()
        assert "per_label" not in project.status().to_dict()["agreement"]


def test_label_issues_name_the_item_and_the_label(tmp_path):
    labelled = 80
    rows = frame(80)
    answers = [list(tags_of(str(i))) for i in range(80)]
    answers[3] = ["red"]  # item 3 is a blue car: "car" dropped, "red" added
    rows["y"] = [json.dumps(a) for a in answers]
    with Project.create(tmp_path / "p.hilt", rows, LABELS, task="multilabel", label_column="y",
                        features="tfidf", seed=0, strategy="random") as project:
        assert project.status().n_answered == labelled
        issues = project.label_issues(limit=10)
        pairs = {(issue.item_id, issue.issue_label) for issue in issues}
        assert ("3", "car") in pairs or ("3", "red") in pairs
        top = next(issue for issue in issues if issue.item_id == "3")
        assert top.label == ["red"] and set(top.suggested) ^ set(top.label) == {top.issue_label}
        assert "issue_label" in top.to_dict()


# -- import and export ---------------------------------------------------------------------------------

def test_labels_are_read_from_json_arrays_and_from_separated_cells(tmp_path):
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t, "tags": tags}) + "\n"
                             for t, tags in [("red car", ["car", "red"]), ("sky", []), ("tree", None)]))
    with Project.create(tmp_path / "a.hilt", jsonl, LABELS, task="multilabel", label_column="tags",
                        features="tfidf") as project:
        assert sorted((r["item_id"], r["label"]) for r in project.export_rows()) == [("0", ["red", "car"]), ("1", [])]
    table = tmp_path / "items.csv"
    table.write_text("id,text,tags\nx,red car,car|red\ny,sky,[]\nz,tree,\n")
    with Project.create(tmp_path / "b.hilt", table, LABELS, task="multilabel", id_column="id", label_column="tags",
                        label_separator="|", features="tfidf") as project:
        assert sorted((r["item_id"], r["label"]) for r in project.export_rows()) == [("x", ["red", "car"]), ("y", [])]
        more = tmp_path / "more.csv"
        more.write_text("id,text,tags\nw,green tree,green;car\n")
        assert project.import_items(more, label_column="tags")["labelled"] == 1
        bad = tmp_path / "bad.csv"
        bad.write_text("id,text,tags\nv,blue,blue\n")
        with pytest.raises(InputError, match=r"line 2.*column 'tags'.*got 'blue'"):
            project.import_items(bad, label_column="tags")


def test_a_label_separator_is_refused_for_a_single_project(tmp_path):
    table = tmp_path / "items.csv"
    table.write_text("text,y\nred car,a\n")
    with pytest.raises(InputError, match="Expected no label_separator for a 'single' project"):
        Project.create(tmp_path / "p.hilt", table, ["a", "b"], label_column="y", label_separator=";")
    assert not (tmp_path / "p.hilt").exists()


def test_export_lists_in_jsonl_and_parquet_joined_in_csv_and_one_hot_on_request(tmp_path):
    with make(tmp_path / "p.hilt", n=8, labelled=8) as project:
        out = tmp_path / "labels.jsonl"
        assert project.export(out) == 8
        lines = [json.loads(line) for line in out.read_text().splitlines()]  # strict: every line
        assert [row["label"] for row in lines] == TAGS
        project.export(tmp_path / "labels.csv", label_separator="|", one_hot=True)
        with open(tmp_path / "labels.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [row["label"] for row in rows] == ["red", "green", "red|car", "car", "green", "red", "[]", "green|car"]
        assert list(rows[0])[:5] == ["item_id", "label", "label_red", "label_green", "label_car"]
        assert [(row["label_red"], row["label_green"], row["label_car"]) for row in rows[2:4]] == [
            ("1", "0", "1"), ("0", "0", "1")]
        project.export(tmp_path / "labels.parquet")
        table = pd.read_parquet(tmp_path / "labels.parquet")
        assert [list(v) for v in table["label"]] == TAGS
        stream = io.StringIO()
        project.export(stream, format="csv")
        assert "red;car" in stream.getvalue()
        project.export(tmp_path / "all.jsonl", include_retracted=True)
        assert all(isinstance(json.loads(line)["label"], list) for line in (tmp_path / "all.jsonl").read_text().splitlines())


def test_predictions_export_one_probability_column_per_label(tmp_path):
    with make(tmp_path / "p.hilt", n=16, labelled=16) as project:
        assert project.export_predictions(tmp_path / "pred.csv") == 16
        with open(tmp_path / "pred.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [c for c in rows[0] if c.startswith("prob_")] == ["prob_red", "prob_green", "prob_car"]
        assert rows[2]["label"] == "red;car"
        project.export_predictions(tmp_path / "pred.jsonl")
        first = json.loads((tmp_path / "pred.jsonl").read_text().splitlines()[0])
        assert first["label"] == ["red"] and isinstance(first["predicted"], list)


def test_one_hot_is_refused_for_a_single_project(tmp_path):
    with Project.create(tmp_path / "p.hilt", frame(4), ["a", "b"], features="tfidf") as project:
        with pytest.raises(InputError, match="Expected one_hot only for a multi-label project"):
            project.export(tmp_path / "x.csv", one_hot=True)


def test_renaming_a_label_renames_it_inside_every_set(tmp_path):
    with make(tmp_path / "p.hilt", n=8, labelled=8) as project:
        changed = project.configure(rename=("car", "vehicle"))
        assert changed["renamed"] == 3 and changed["labels"] == ["red", "green", "vehicle"]
        assert [r["label"] for r in project.export_rows()][2] == ["red", "vehicle"]
        assert project.status().by_label == {"red": 3, "green": 3, "vehicle": 3}


# -- a project made by today's hilt ---------------------------------------------------------------------

def test_a_project_made_before_tasks_opens_as_single_and_keeps_a_live_lease(tmp_path):
    path = tmp_path / "today.hilt"
    with gzip.open(DATA / "project_v5_single.hilt.gz") as packed, open(path, "wb") as out:
        shutil.copyfileobj(packed, out)
    with sqlite3.connect(path) as conn:  # made by hilt at schema 5; cy's lease is taken just now
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("5",)
        assert conn.execute("SELECT value FROM meta WHERE key = 'task'").fetchone() is None
        conn.execute("UPDATE leases SET expires_at = ?", (time.time() + 600,))
        (held,) = conn.execute("SELECT i.key FROM leases l JOIN items i ON i.id = l.item WHERE l.annotator = 'cy'").fetchone()
    with Project.open(path) as project:
        assert project.task == "single" and project.status()["task"] == "single"
        assert project._store.meta()["schema_version"] == SCHEMA_VERSION == 7
        assert project.status().runs[0].metrics is None and project.status().n_answered == 3
        assert project.next_item("cy").id == held  # the lease survived the upgrade
        assert project.next_item("dan").id != held
        project.answer(held, "pos", "cy")
        project.retrain(wait=True)
        assert len(project.status().runs) == 2
    with sqlite3.connect(path) as conn:
        assert "metrics" in [row[1] for row in conn.execute("PRAGMA table_info(model_runs)")]


# -- both stores -----------------------------------------------------------------------------------------

def test_a_multilabel_project_on_either_store(where):
    with make(where, n=12, overlap=1.0, annotators_per_item=2) as project:
        item = project.next_item("ada")
        project.answer(item.id, ["green", "red"], "ada")
        project.answer(item.id, ["green"], "bob")
        assert {r["item_id"]: r["label"] for r in project.export_rows()}[item.id] == ["red", "green"]  # a tie: ada first
        assert project.status().task == "multilabel"
        assert project.status().n_answered == 1
    with Project.open(where) as project:
        assert project.task == "multilabel"
        assert project.status().by_label == {"red": 1, "green": 1}


# -- the ranked queue -------------------------------------------------------------------------------------

def test_served_items_carry_the_predicted_set_evaluation_items_too(tmp_path):
    with make(tmp_path / "p.hilt", n=120, labelled=40, strategy="margin:max", eval_share=0.2,
              retrain_every=1000) as project:
        project.retrain(wait=True)
        seen = []
        for _ in range(30):
            item = project.next_item("ada")
            seen.append((item.is_eval, item.guess, item.uncertainty))
            project.answer(item.id, tags_of(item.id), "ada")
        assert {is_eval for is_eval, _, _ in seen} == {True, False}
        for _, guess, uncertainty in seen:  # the same for both: nothing tells an evaluation item
            assert isinstance(guess, list) and set(guess) <= set(LABELS)
            assert guess == [label for label in LABELS if label in guess] and 0.0 <= uncertainty <= 1.0


def test_a_multilabel_only_strategy_is_refused_for_a_single_project(tmp_path):
    with pytest.raises(InputError, match="Expected a strategy for task 'single'"):
        Project.create(tmp_path / "p.hilt", frame(4), ["a", "b"], strategy="margin:max")
    with make(tmp_path / "m.hilt", n=8) as project:
        assert project.configure(strategy="cardinality")["strategy"] == "cardinality"
