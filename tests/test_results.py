"""hilt.project.results: the typed results faces read by attribute, serialised to the JSON they
replaced (same keys, same order), and still readable as the dicts they used to be."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from rich.console import Console

from hilt.cli.quality import agreement_tables
from hilt.cli.status import agreement_block, status_tables
from hilt.project import Item, Project
from hilt.project.results import (
    Agreement,
    AnnotatorAgreement,
    AnnotatorRow,
    AnswerReply,
    LabelIssue,
    PairAgreement,
    RunSummary,
    Status,
)
from hilt.server.pages import accuracy_text, agreement_context

#: The keys of ``status()`` in the order ``GET /api/status`` and ``hilt status --json`` send them.
STATUS_KEYS = ["n_items", "n_answered", "n_skipped", "n_left", "n_eval", "n_eval_items", "by_label", "by_annotator",
               "runs", "agreement", "labels", "strategy", "kind", "text_column", "retraining", "retrain_error",
               "retrain_every", "eval_share", "features", "overlap", "scheduler", "task", "seconds", "webhook", "suggestions"]


def a_run(accuracy: float | None = 0.75, n_train: int = 12) -> RunSummary:
    return RunSummary(n_train=n_train, eval_accuracy=accuracy, n_eval=4, strategy="margin",
                      started_at="2026-12-07T10:00:00+00:00", finished_at="2026-12-07T10:00:01+00:00",
                      eval_ci=None if accuracy is None else [0.3, 0.95])


def an_agreement(names: tuple[str, ...] = ("ann", "bob", "cy")) -> Agreement:
    return Agreement(
        n_items=9, alpha=0.71,
        by_annotator={name: AnnotatorAgreement(n_items=9 - k, agree=0.9 - 0.2 * k) for k, name in enumerate(names)},
        pairs={"ann|bob": PairAgreement(n_items=12, kappa=0.4), "ann|cy": PairAgreement(n_items=10, kappa=None)},
    )


def a_status(**changes) -> Status:
    fields = dict(
        n_items=30, n_answered=14, n_skipped=1, n_left=16, n_eval=3, n_eval_items=4, by_label={"pos": 8, "neg": 6},
        by_annotator={"ann": 9, "bob": 5}, runs=[a_run(None, 4), a_run()], agreement=an_agreement(),
        labels=["pos", "neg"], strategy="margin", kind="text", text_column="text", retraining=True,
        retrain_error="MemoryError: out of memory", retrain_every=10, eval_share=0.1, features="tfidf",
        overlap={"share": 0.5, "annotators_per_item": 2}, scheduler="tcp://10.0.0.5:8786",
    )
    return Status(**{**fields, **changes})


def test_a_result_reads_as_the_dict_it_used_to_be():
    status = a_status()
    assert list(status) == STATUS_KEYS and list(status.keys()) == STATUS_KEYS and len(status) == len(STATUS_KEYS)
    assert status["n_answered"] == status.n_answered == 14
    assert status.get("no_such_key") is None and status.get("n_items", 0) == 30
    assert "runs" in status and "no_such_key" not in status
    with pytest.raises(KeyError):
        status["no_such_key"]
    assert status["runs"][1]["eval_ci"] == [0.3, 0.95]
    assert status["agreement"]["by_annotator"]["ann"] == {"items": 9, "agree": 0.9}
    assert status == status.to_dict() and dict(status)["n_left"] == 16
    assert status["agreement"]["items"] == 9 and list(status["agreement"].items())[0] == ("items", 9)


def test_a_result_is_read_only_and_a_misspelt_field_fails():
    status = a_status()
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.n_items = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        status.n_answerd  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        status.runs[0].accuracy  # type: ignore[attr-defined]
    changed = dataclasses.replace(status, scheduler=None)
    assert changed.scheduler is None and status.scheduler == "tcp://10.0.0.5:8786"


def test_to_dict_is_plain_json_in_the_order_of_the_keys():
    plain = a_status().to_dict()
    assert list(plain) == STATUS_KEYS
    assert type(plain["runs"][0]) is dict and list(plain["runs"][0]) == [
        "n_train", "eval_accuracy", "n_eval", "strategy", "started_at", "finished_at", "eval_ci"]
    assert type(plain["agreement"]) is dict and list(plain["agreement"]) == ["items", "alpha", "by_annotator", "pairs"]
    assert plain["agreement"]["pairs"]["ann|cy"] == {"items": 10, "kappa": None}
    assert json.loads(json.dumps(plain)) == plain


def test_the_reply_to_an_answer_has_next_only_when_asked():
    plain = AnswerReply(saved=True, answer_id="a1", duplicate=False)
    assert plain.to_dict() == {"saved": True, "answer_id": "a1", "duplicate": False}
    assert "next" not in plain and plain.get("next") is None and list(plain) == ["saved", "answer_id", "duplicate"]
    item = Item("7", {"text": "hi"}, False)
    leased = AnswerReply(saved=True, answer_id="a1", duplicate=False, next=item, leased_next=True)
    assert list(leased.to_dict()) == ["saved", "answer_id", "duplicate", "next"] and leased["next"] is item
    assert "leased_next" not in leased


def test_a_project_returns_typed_results(tmp_path):
    texts = ["good fun", "great fun", "good film", "bad mess", "awful mess", "bad film"] * 4
    labels = ["pos", "pos", "pos", "neg", "neg", "neg"] * 4
    labels[0] = "neg"
    frame = pd.DataFrame({"text": texts + ["fine fun", "dull mess", "good mess"], "y": labels + [None, None, None]})
    with Project.create(tmp_path / "p.hilt", frame, ["pos", "neg"], label_column="y", features="tfidf",
                        eval_share=0) as project:
        project.add_annotator("ada")
        item = project.next_item("ada")
        reply = project.answer(item.id, "pos", "ada")
        assert isinstance(reply, AnswerReply) and reply.saved and not reply.duplicate
        following = project.answer(project.next_item("ada").id, None, "ada", lease_next=True)
        assert isinstance(following.next, Item)
        project.retrain(wait=True)
        status = project.status()
        assert isinstance(status, Status) and list(status.to_dict()) == STATUS_KEYS
        assert isinstance(status.runs[0], RunSummary) and status.runs[0].n_train == status["runs"][0]["n_train"]
        assert isinstance(status.agreement, Agreement) and status.agreement.n_items == 0
        assert isinstance(project.agreement(), Agreement) and project.agreement() == status.agreement
        issues = project.label_issues(limit=1)
        assert isinstance(issues[0], LabelIssue) and issues[0].item_id == "0"
        assert list(issues[0].to_dict()) == ["item_id", "label", "suggested", "score", "annotator", "disagreement"]
        rows = project.annotator_list()
        assert all(isinstance(row, AnnotatorRow) for row in rows)
        assert list(rows[0].to_dict()) == ["name", "registered", "added_at", "answers", "retracted", "last_seen",
                                           "role", "removed_at", "median_seconds"]
        assert {row.name: row.role for row in rows} == {"ada": "annotator", "import": "import"}


def test_the_faces_read_every_field_they_show():
    """Every branch of the CLI's and the dashboard's renderers over a status that has everything:
    a field a face reads that the result lacks is an AttributeError here."""
    console = Console(width=120, record=True)
    for renderable in status_tables(a_status(), title="p.hilt"):
        console.print(renderable)
    for renderable in status_tables(a_status(agreement=an_agreement(("ann", "bob"))), title="p.hilt"):
        console.print(renderable)
    for renderable in status_tables(a_status(runs=[], retraining=False, scheduler=None), title="p.hilt"):
        console.print(renderable)
    for renderable in agreement_tables(an_agreement(), title="p.hilt"):
        console.print(renderable)
    shown = console.export_text()
    assert "retraining now" in shown and "tcp://10.0.0.5:8786" in shown and "out of memory" in shown
    assert "agrees least" in shown and "ann and bob" in shown and "ann & cy" in shown and "none yet" in shown
    assert agreement_block(dataclasses.replace(an_agreement(), n_items=0), "p.hilt") == []
    panel = agreement_context(an_agreement())
    assert panel["n_items"] == 9 and panel["by_annotator"][0][0] == "ann" and panel["pairs"][0][2] == 0.4
    assert agreement_context(dataclasses.replace(an_agreement(), n_items=0)) is None
    assert accuracy_text(a_run()).startswith("75") and accuracy_text(a_run(None)) is None
