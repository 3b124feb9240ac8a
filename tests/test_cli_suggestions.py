"""Suggestions through the command line: a column of hilt init / hilt import, a file of hilt
suggestions import (bad files exit 2 with where), the terminal loop's "." accepting one."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console
from sqlalchemy import text

from helpers import hilt, user_error
from hilt import Project
from hilt.cli._label_loop import run_label_loop


def write(path, content: str):
    path.write_text(content, encoding="utf-8")
    return path


def kept(project: Project) -> dict:
    with project._store._engine.connect() as conn:
        return dict(conn.execute(text("SELECT i.key, a.kept_suggestion FROM answers a JOIN items i ON i.id = a.item "
                                      "WHERE a.retracted = 0")).all())


def test_init_and_import_read_a_suggestion_column_that_is_never_shown_nor_stored_with_the_items(tmp_path):
    data = write(tmp_path / "d.csv", "id,text,pred,conf\na,good film,pos,0.9\nb,bad film,neg,0.2\nc,fine film,,\n")
    result = hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "pos,neg", "--id-column", "id",
                  "--features", "tfidf", "--suggestion-column", "pred", "--suggestion-score-column", "conf",
                  "--suggestion-source", "zero-shot")
    assert result.returncode == 0, result.stderr
    assert "2 suggestions stored from 'pred'" in result.stderr  # the console's notes go to stderr
    more = write(tmp_path / "more.csv", "id,text,pred\nd,awful film,neg\n")
    result = hilt("import", tmp_path / "p.hilt", more, "--suggestion-column", "pred")
    assert result.returncode == 0, result.stderr
    assert "1 suggestion stored" in result.stderr
    with Project.open(tmp_path / "p.hilt") as project:
        assert project.suggestion_rows() == [
            {"item_id": "a", "source": "zero-shot", "label": "pos", "score": 0.9},
            {"item_id": "b", "source": "zero-shot", "label": "neg", "score": 0.2},
            {"item_id": "d", "source": "pred", "label": "neg", "score": None},
        ]
        assert project.shown_columns == ["text"] and project.hidden_columns == []
        assert all(set(row) == {"text"} for row in project._store.iter_item_data(batch=10).__next__()[1])
        assert project.status().n_answered == 0  # never labels
    status = hilt("status", tmp_path / "p.hilt")
    assert "3 items have a suggestion" in status.stdout + status.stderr


def test_a_bad_suggestion_column_stops_the_import_with_its_line(tmp_path):
    data = write(tmp_path / "d.csv", "id,text,pred,conf\na,good film,pos,0.9\nb,bad film,meh,0.2\n")
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "pos,neg", "--id-column", "id",
                              "--features", "tfidf", "--suggestion-column", "pred"))
    assert "line 3" in message and "'pred'" in message and "'meh'" in message
    assert not (tmp_path / "p.hilt").exists()
    data = write(tmp_path / "d.csv", "id,text,pred,conf\na,good film,pos,1.9\n")
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "pos,neg", "--id-column", "id",
                              "--features", "tfidf", "--suggestion-column", "pred", "--suggestion-score-column", "conf"))
    assert "line 2" in message and "score from 0 to 1" in message and "'conf'" in message


def test_suggestions_import_reads_a_file_of_predictions_and_refuses_bad_ones(tmp_path):
    data = write(tmp_path / "d.csv", "id,text\na,good film\nb,bad film\nc,fine film\n")
    assert hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "sports,news,tech", "--id-column", "id",
                "--features", "tfidf", "--task", "multilabel").returncode == 0
    preds = write(tmp_path / "pred.csv", 'id,pred,p\na,tech;news,0.7\nb,"[""sports""]",\nc,,\n')
    result = hilt("suggestions", "import", tmp_path / "p.hilt", preds, "--id-column", "id", "--label-column", "pred",
                  "--score-column", "p", "--source", "m1")
    assert result.returncode == 0, result.stderr
    assert "Imported 2 suggestions" in result.stderr
    with Project.open(tmp_path / "p.hilt") as project:
        assert [(r["item_id"], r["label"], r["score"]) for r in project.suggestion_rows()] == [
            ("a", ["news", "tech"], 0.7), ("b", ["sports"], None)]
    bad_label = write(tmp_path / "bad.csv", "id,pred\na,tech\nb,pink\n")
    message = user_error(hilt("suggestions", "import", tmp_path / "p.hilt", bad_label, "--id-column", "id",
                              "--label-column", "pred"))
    assert "line 3" in message and "pink" in message
    unknown = write(tmp_path / "unknown.csv", "id,pred\nzz,tech\n")
    assert "'zz'" in user_error(hilt("suggestions", "import", tmp_path / "p.hilt", unknown, "--id-column", "id",
                                     "--label-column", "pred"))
    assert "'nope'" in user_error(hilt("suggestions", "import", tmp_path / "p.hilt", preds, "--id-column", "nope",
                                       "--label-column", "pred"))
    with Project.open(tmp_path / "p.hilt") as project:
        assert len(project.suggestion_rows()) == 2  # the bad files stored nothing


def test_the_terminal_shows_the_suggestion_and_dot_accepts_it(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ["good", "bad", "fine"]})
    with Project.create(tmp_path / "p.hilt", frame, ["pos", "neg"], id_column="id", features="tfidf",
                        eval_share=0.0) as project:
        project.import_suggestions([("a", "pos", 0.2), ("b", "pos", 0.4), ("c", "neg", 0.9)], source="zs")
        screen = io.StringIO()
        # Served least confident first: a (kept with "."), b (changed to neg), c (skipped).
        session = run_label_loop(project, "ana", iter([".", "2", "s"]), Console(file=screen, width=100),
                                 wait_for_model=0)
        assert (session.labelled, session.skipped) == (2, 1)
        shown = screen.getvalue()
        assert "suggested by zs: pos (20 % sure)" in shown and ". accepts it" in shown
        assert kept(project) == {"a": 1, "b": 0, "c": None}
        assert {r["item_id"]: r["label"] for r in project.export_rows()} == {"a": "pos", "b": "neg"}


def test_spans_suggestions_start_marked_in_the_terminal_and_dot_keeps_them(tmp_path):
    texts = ["Grace Hopper met Ada in London.", "Ada lives in Paris."]
    frame = pd.DataFrame({"id": ["a", "b"], "text": texts})
    with Project.create(tmp_path / "p.hilt", frame, ["PER", "LOC"], id_column="id", task="spans",
                        eval_share=0.0) as project:
        project.import_suggestions([("a", [{"start": 0, "end": 12, "label": "PER"}], 0.3),
                                    ("b", [{"start": 13, "end": 18, "label": "LOC"}], 0.6)], source="tagger")
        screen = io.StringIO()
        # a (least confident) kept with "."; b's suggestion mended: Ada marked too, then saved.
        session = run_label_loop(project, "ana", iter([".", "1 1", "."]), Console(file=screen, width=100),
                                 wait_for_model=0)
        assert session.labelled == 2
        assert kept(project) == {"a": 1, "b": 0}
        answers = {r["item_id"]: r["label"] for r in project.export_rows()}
        assert answers["a"] == [{"start": 0, "end": 12, "label": "PER"}]
        assert answers["b"] == [{"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 18, "label": "LOC"}]


def test_a_suggested_label_set_starts_ticked_in_the_terminal(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ["x one", "y two", "z three"]})
    with Project.create(tmp_path / "p.hilt", frame, ["sports", "news", "tech"], id_column="id", task="multilabel",
                        features="tfidf", eval_share=0.0) as project:
        project.import_suggestions([("a", ["news", "tech"], 0.1), ("b", ["sports"], 0.2), ("c", ["tech"], 0.3)])
        # a: Enter saves the ticks it started with; b: "." accepts; c: key 1 ticks sports too, then Enter.
        session = run_label_loop(project, "ana", iter(["\n", ".", "1", "\n"]), Console(file=io.StringIO(), width=100),
                                 wait_for_model=0)
        assert session.labelled == 3
        assert kept(project) == {"a": 1, "b": 1, "c": 0}
        assert {r["item_id"]: r["label"] for r in project.export_rows()} == {
            "a": ["news", "tech"], "b": ["sports"], "c": ["sports", "tech"]}


def test_suggestion_columns_that_cannot_be_matched_or_lack_their_column_exit_2(tmp_path):
    data = write(tmp_path / "d.csv", "text,pred\ngood film,pos\nbad film,neg\n")
    assert hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "pos,neg", "--features", "tfidf",
                "--suggestion-column", "pred").returncode == 0  # numbered by row: the first file matches
    with Project.open(tmp_path / "p.hilt") as project:
        assert [r["item_id"] for r in project.suggestion_rows()] == ["0", "1"]
    message = user_error(hilt("import", tmp_path / "p.hilt", data, "--suggestion-column", "pred"))
    assert "id column" in message and "hilt suggestions import" in message
    message = user_error(hilt("init", tmp_path / "q.hilt", "--data", data, "--labels", "pos,neg", "--features",
                              "tfidf", "--suggestion-score-column", "pred"))
    assert "suggestion_column" in message and not (tmp_path / "q.hilt").exists()
