"""Spans projects end to end through the library: create from texts (with spans already marked),
answer with checked spans, retrain the sequence model and rank by its uncertainty, serve tokens and
suggestions, combine, agree, find label issues, rename, import and export; on both stores."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from hilt import Project
from hilt.errors import InputError
from hilt.project.labelling import suggests
from hilt.tasks.spans_text import tokenize

LABELS = ["PER", "LOC"]
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
PLACES = ["Paris", "London", "Berlin", "Tokyo", "Madrid", "Rome", "Oslo"]
TEMPLATES = ["{p} flew to {c} on Monday", "In {c} , {p} gave a talk", "{p} likes tea", "Rain again in {c} today",
             "nothing much happened {i}"]


def sentence(i: int) -> tuple[str, list[dict]]:
    """The i-th text and its true spans (PER for the person, LOC for the place)."""
    template = TEMPLATES[i % len(TEMPLATES)]
    person, place = PEOPLE[i % len(PEOPLE)], PLACES[(i // 2) % len(PLACES)]
    text, spans, rest = "", [], template
    while rest:
        head, brace, tail = rest.partition("{")
        text += head
        if not brace:
            break
        field, _, rest = tail.partition("}")
        value, label = {"p": (person, "PER"), "c": (place, "LOC"), "i": (str(i), None)}[field]
        if label:
            spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
        text += value
    return text, spans


def frame(n: int = 40, labelled: int = 0) -> pd.DataFrame:
    rows = pd.DataFrame({"text": [sentence(i)[0] for i in range(n)]})
    if labelled:
        rows["spans"] = [json.dumps(sentence(i)[1]) if i < labelled else None for i in range(n)]
    return rows


def truth(item_id: str) -> list[dict]:
    return sentence(int(item_id))[1]


def make(where, n=40, **options) -> Project:
    options = {"seed": 1, "eval_share": 0.0, "strategy": "random", **options}
    labelled = options.pop("labelled", 0)
    if labelled:
        options["label_column"] = "spans"
    return Project.create(where, frame(n, labelled), LABELS, task="spans", **options)


# -- answers ---------------------------------------------------------------------------------------

def test_a_spans_project_takes_span_lists_checked_against_the_text(tmp_path):
    with make(tmp_path / "p.hilt") as project:
        assert project.task == "spans" and project.status()["task"] == "spans"
        item = project.next_item("ada")
        text = item.data["text"]
        assert item.tokens == tokenize(text) and item.guess is None and not item.suggest
        spans = truth(item.id)
        project.answer(item.id, list(reversed(spans)), "ada")  # any order: kept sorted
        second = project.next_item("ada")
        project.answer(second.id, [], "ada")  # nothing to mark: an answer
        third = project.next_item("ada")
        project.answer(third.id, None, "ada")  # a skip
        status = project.status()
        assert (status.n_answered, status.n_skipped) == (2, 1)
        assert status.by_label == {label: 1 for label in {s["label"] for s in spans}}
        assert [a["label"] for a in project.recent_answers("ada")] == [None, [], spans]
        stored = dict(sqlite3.connect(tmp_path / "p.hilt").execute(
            "SELECT i.key, a.label FROM answers a JOIN items i ON i.id = a.item").fetchall())
        assert stored[first_key(item)] == json.dumps(spans, separators=(",", ":"))
        assert stored[second.id] == "[]" and stored[third.id] is None


def first_key(item) -> str:
    return item.id


@pytest.mark.parametrize("bad, words", [
    ([{"start": 0, "end": 999, "label": "PER"}], "span 1"),
    ([{"start": 0, "end": 3, "label": "ORG"}], "'ORG'"),
    ([{"start": 0, "end": 4, "label": "PER"}, {"start": 2, "end": 6, "label": "LOC"}], "overlap"),
    ([{"start": "0", "end": 3, "label": "PER"}], "span 1"),
    ("PER", "list"),
])
def test_a_bad_span_is_refused_with_where_and_nothing_is_stored(tmp_path, bad, words):
    with make(tmp_path / "p.hilt") as project:
        item = project.next_item("ada")
        with pytest.raises(InputError, match=words):
            project.answer(item.id, bad, "ada")
        assert project.status().n_answered == 0


def test_texts_only_no_classifier_no_cluster_and_no_classifier_strategies(tmp_path):
    table = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]})
    with pytest.raises(InputError, match="Expected texts for task 'spans'"):
        Project.create(tmp_path / "t.hilt", table, LABELS, task="spans")
    with pytest.raises(InputError, match="committee"):
        make(tmp_path / "c.hilt", strategy="committee")
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InputError, match="trains its own sequence model"):
        make(tmp_path / "m.hilt", model=LogisticRegression())
    assert not (tmp_path / "t.hilt").exists() and not (tmp_path / "c.hilt").exists()


def test_spans_in_a_label_column_are_imported_checked_against_their_row(tmp_path):
    with make(tmp_path / "p.hilt", n=10, labelled=4) as project:
        rows = {r["item_id"]: r["label"] for r in project.export_rows()}
        assert rows == {str(i): truth(str(i)) for i in range(4)}
    bad = frame(6, labelled=3)
    bad.loc[2, "spans"] = json.dumps([{"start": 0, "end": 200, "label": "PER"}])
    with pytest.raises(InputError, match=r"row 2 \(counting from 0\), column 'spans': span 1 .*expected end <= 21"):
        Project.create(tmp_path / "bad.hilt", bad, LABELS, task="spans", label_column="spans")
    assert not (tmp_path / "bad.hilt").exists()


# -- the model in the loop -------------------------------------------------------------------------

def test_a_run_learns_spans_measures_entity_f1_and_ranks_by_the_sequence_margin(tmp_path):
    with make(tmp_path / "p.hilt", n=160, labelled=60, eval_share=0.2, strategy="margin",
              retrain_every=1000) as project:
        project.retrain(wait=True)
        served = []
        for _ in range(40):
            served.append(project.next_item("ada"))
            project.answer(served[-1].id, truth(served[-1].id), "ada")
        assert {item.is_eval for item in served} == {True, False}
        project.retrain(wait=True)
        run = project.status().runs[-1]
        assert run["n_eval"] >= 4 and run["metrics"]["entity_f1"]["value"] > 0.8
        assert set(run["metrics"]) == {"entity_f1", "entity_precision", "entity_recall"}
        with_guess = [item for item in served if item.guess is not None]
        assert with_guess, "the ranked queue carries the model's spans"
        for item in with_guess:
            assert isinstance(item.guess, list) and all(set(s) == {"start", "end", "label"} for s in item.guess)
            assert 0.0 <= item.uncertainty <= 1.0
            assert item.suggest == suggests(item.id, item.is_eval, 0.2)
            assert not (item.is_eval and item.suggest)  # the answers that measure the model are unprompted
        predictions = project.predictions()
        assert {"predicted", "confidence"} <= set(predictions.columns)
        right = [p == truth(i) for i, p in zip(predictions["item_id"], predictions["predicted"])]
        assert np.mean(right) > 0.8


def test_a_diverse_strategy_compares_texts_on_their_features(tmp_path):
    with make(tmp_path / "p.hilt", n=120, labelled=30, strategy="entropy:max+diverse",
              retrain_every=1000) as project:
        project.retrain(wait=True)
        seen = set()
        for _ in range(5):
            item = project.next_item("ada")
            seen.add(item.id)
            project.answer(item.id, truth(item.id), "ada")
        assert len(seen) == 5 and not seen & {str(i) for i in range(30)}


# -- people: majority, review, agreement, issues --------------------------------------------------

def test_two_people_majority_a_review_settles_and_agreement_is_entity_f1_and_token_alpha(tmp_path):
    with make(tmp_path / "p.hilt", n=12, overlap=1.0, annotators_per_item=2) as project:
        project.add_annotator("rev", reviewer=True)
        item = project.next_item("ada")
        while len(truth(item.id)) < 2:  # an item naming a person and a place
            project.answer(item.id, truth(item.id), "ada")
            item = project.next_item("ada")
        spans = truth(item.id)
        project.answer(item.id, spans, "ada")
        project.answer(item.id, spans[:1], "bob")
        rows = {r["item_id"]: r["label"] for r in project.export_rows()}
        assert rows[item.id] == spans  # a tie on the rest goes to the earliest voter
        agreement = project.status()["agreement"]
        assert agreement["items"] == 1
        assert 0.0 < agreement["entity_f1"] < 1.0 and -1.0 <= agreement["alpha"] <= 1.0
        decided = project.review(item.id, spans[:1], "rev")
        assert decided["label"] == spans[:1]


def test_label_issues_name_missed_and_wrong_spans(tmp_path):
    data = frame(80, labelled=80)
    slips = {3: [], 8: [{"start": 0, "end": 3, "label": "LOC"}]}  # a missed entity, a wrong one
    for i, spans in slips.items():
        data.loc[i, "spans"] = json.dumps(spans)
    with Project.create(tmp_path / "p.hilt", data, LABELS, task="spans", label_column="spans", seed=1,
                        eval_share=0.0, strategy="random") as project:
        issues = {issue.item_id: issue for issue in project.label_issues(limit=20)}
        assert {"3", "8"} <= set(issues)
        assert issues["3"].suggested == truth("3")
        kinds = {found["type"] for issue in issues.values() for found in issue.issues}
        assert "missed" in kinds


# -- names, imports, exports ------------------------------------------------------------------------

def test_renaming_a_label_renames_it_inside_every_span_list(tmp_path):
    with make(tmp_path / "p.hilt", n=10, labelled=5) as project:
        changed = project.configure(rename=("PER", "PERSON"))
        assert changed["labels"] == ["PERSON", "LOC"] and changed["renamed"] == 3  # items 0-2 name a person
        labels = {s["label"] for r in project.export_rows() for s in r["label"]}
        assert labels == {"PERSON", "LOC"}


def test_export_lists_in_jsonl_json_text_in_csv_and_iob2_in_conll(tmp_path):
    with make(tmp_path / "p.hilt", n=10, labelled=5) as project:
        project.export(tmp_path / "x.jsonl")
        lines = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
        assert {r["item_id"]: r["label"] for r in lines} == {str(i): truth(str(i)) for i in range(5)}
        project.export(tmp_path / "x.csv")
        rows = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))
        assert {r["item_id"]: json.loads(r["label"]) for r in rows} == {str(i): truth(str(i)) for i in range(5)}
        project.export(tmp_path / "x.conll", format="conll")
        from hilt.importing.conll import read_conll

        texts, spans = read_conll(tmp_path / "x.conll")
        assert texts == [sentence(i)[0] for i in range(5)] and spans == [truth(str(i)) for i in range(5)]


# -- both stores -----------------------------------------------------------------------------------------

def test_a_spans_project_on_either_store(where):
    with make(where, n=12) as project:
        item = project.next_item("ada")
        project.answer(item.id, truth(item.id), "ada")
        assert {r["item_id"]: r["label"] for r in project.export_rows()} == {item.id: truth(item.id)}
    with Project.open(where) as project:
        assert project.task == "spans"
