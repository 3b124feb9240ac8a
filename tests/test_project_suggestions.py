"""Suggestions (another model's predictions) stored and read back: checked like answers of the
project's task, all or none, never labels; on both stores."""

from __future__ import annotations

import pandas as pd
import pytest

from hilt import Project
from hilt.errors import InputError, NotFoundError


def texts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"t{i}" for i in range(n)],
                         "text": [f"{'good' if i % 2 else 'bad'} film number {i}" for i in range(n)]})


def test_suggestions_are_stored_by_source_replaced_on_reimport_and_never_labels(where):
    with Project.create(where, texts(6), ["pos", "neg"], id_column="id", features="tfidf") as project:
        assert project.import_suggestions([("t1", "pos", 0.9), {"item_id": "t2", "label": "neg"}], source="m1") == 2
        assert project.import_suggestions([("t1", "neg", 0.4)], source="m1") == 1  # replaces t1's
        assert project.import_suggestions([("t3", "pos", 1)], source="m2") == 1
        assert project.suggestion_rows() == [
            {"item_id": "t1", "source": "m1", "label": "neg", "score": 0.4},
            {"item_id": "t2", "source": "m1", "label": "neg", "score": None},
            {"item_id": "t3", "source": "m2", "label": "pos", "score": 1.0},
        ]
        status = project.status()
        assert status.n_answered == 0 and status.by_label == {}  # never counted as labels
        assert project._store.suggestion_counts()["n_items"] == 3


def test_a_bad_suggestion_stores_none_of_them_and_says_where(tmp_path):
    with Project.create(tmp_path / "p.hilt", texts(4), ["pos", "neg"], id_column="id", features="tfidf") as project:
        with pytest.raises(InputError, match=r"suggestion 2 \(item 't2'\).*meh"):
            project.import_suggestions([("t1", "pos"), ("t2", "meh")])
        with pytest.raises(InputError, match=r"score of suggestion 1 \(item 't1'\).*from 0 to 1.*1.5"):
            project.import_suggestions([("t1", "pos", 1.5)])
        with pytest.raises(NotFoundError, match=r"1 item id\(s\) are not in it, first: 'nope'"):
            project.import_suggestions([("t1", "pos"), ("nope", "neg")])
        with pytest.raises(InputError, match="source"):
            project.import_suggestions([("t1", "pos")], source="")
        assert project.suggestion_rows() == []


def test_multilabel_suggestions_are_sets_of_the_projects_labels(tmp_path):
    frame = texts(4)
    with Project.create(tmp_path / "p.hilt", frame, ["red", "green", "blue"], id_column="id", task="multilabel",
                        features="tfidf") as project:
        project.import_suggestions([("t0", ["blue", "red"], 0.7), ("t1", [])])
        assert [row["label"] for row in project.suggestion_rows()] == [["red", "blue"], []]
        with pytest.raises(InputError, match="suggestion 1"):
            project.import_suggestions([("t0", ["pink"])])
