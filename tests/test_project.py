"""hilt.Project, the Python contract of a labelling project (DESIGN.md "Projects", issue 4):
create and import from every format, bad input that leaves nothing behind, the queue (leases,
cold start, uncertainty ranking, the evaluation sample), answers, undo, background retraining,
status, export, annotator tokens, reopening and custom scikit-learn models.

Every test runs on both backends (the ``where`` fixture of tests/conftest.py: a project file,
or a fresh PostgreSQL database) except the few about the project file itself (what is left in
its folder, folders named like projects, files that are not projects), which say so.

The CLI faces over the same calls are tested in test_cli_project.py and test_cli_label.py;
threads and processes hammering one file are the store's reliability tests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from hilt import Item, Project
from hilt.errors import ConflictError, InputError, NotFoundError
from hilt.models import default_classifier, make_featurizer
from hilt.sampling import score

LABELS = ["pos", "neg"]
POS = ["good", "great", "wonderful", "delightful", "superb", "charming"]
NEG = ["bad", "awful", "dull", "boring", "terrible", "lifeless"]
NEUTRAL = ["film", "plot", "cast", "story", "scene", "music", "ending", "actor"]


def reviews(n: int, seed: int = 0, *, neutral: int = 3, id_prefix: str = "r") -> pd.DataFrame:
    """``n`` short reviews: ``id``, ``text`` and the true ``sentiment`` (pos or neg)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "pos" if rng.random() < 0.5 else "neg"
        words = list(rng.choice(POS if label == "pos" else NEG, 3)) + list(rng.choice(NEUTRAL, neutral))
        rng.shuffle(words)
        rows.append({"id": f"{id_prefix}{i:03d}", "text": " ".join(words), "sentiment": label})
    return pd.DataFrame(rows)


def counts(result: dict) -> dict:
    """The three counts of an import (its result also names repeated ids, copies, columns)."""
    return {k: result[k] for k in ("added", "duplicates", "labelled")}


def truth(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["id"], frame["sentiment"]))


def unlabelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["sentiment"])


def wait_for(condition, timeout: float = 120.0, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy (no fixed sleeps in unit tests)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def state(project: Project) -> tuple:
    """Everything a user can see of a project: counts, runs, every answer, and what is served next."""
    status = project.status().to_dict()  # a Status is read-only: its dict form to change
    status.pop("retraining")  # whether the worker thread is busy right now, not project state
    return status, project.export_rows(include_retracted=True), project.peek_items("zed", 10_000)


def serve_all(project: Project, annotator: str, label_of=None) -> list[Item]:
    """Serve ``annotator`` until nothing is left, answering with ``label_of(item)`` (None = skip)."""
    served = []
    while (item := project.next_item(annotator)) is not None:
        served.append(item)
        project.answer(item.id, None if label_of is None else label_of(item), annotator)
        assert len(served) <= 10_000, "the queue never ran dry"
    return served


def rows_at(where: Path | str, sql: str, args: tuple = ()) -> list[tuple]:
    """Run ``sql`` (``?`` placeholders) on the project with the plain driver, bypassing hilt:
    sqlite3 for a file, psycopg for a database."""
    if isinstance(where, Path):
        with sqlite3.connect(where) as conn:
            return conn.execute(sql, args).fetchall()
    import psycopg

    with psycopg.connect(where.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), args)
        return cursor.fetchall() if cursor.description else []


def nothing_at(where: Path | str) -> bool:
    """Nothing was left at ``where``: no file, or a database without a single table."""
    if isinstance(where, Path):
        return not where.exists()
    return rows_at(where, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()") == []


@pytest.fixture
def place(where, tmp_path, request):
    """``place("t.hilt")``: one more place for a project, on ``where``'s backend: the file of that
    name, or a fresh database of its own (dropped afterwards)."""
    if isinstance(where, Path):
        yield lambda name: tmp_path / name
        return
    server, made = request.getfixturevalue("postgres_server"), []

    def make(name: str) -> str:
        made.append(f"hilt_test_{uuid.uuid4().hex}")
        return server.create_database(made[-1])

    yield make
    for name in made:
        server.drop_database(name)



@pytest.fixture
def frame() -> pd.DataFrame:
    return reviews(30)


@pytest.fixture
def project(where, frame):
    """30 unlabelled reviews with ids, no evaluation sample, no background retraining."""
    with Project.create(where, unlabelled(frame), LABELS, id_column="id",
                        eval_share=0, retrain_every=10_000, seed=0) as project:
        yield project


# --- create: formats and kinds ---------------------------------------------------------------


def write_data(frame: pd.DataFrame, folder: Path, fmt: str):
    if fmt == "DataFrame":
        return frame
    path = folder / f"items.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "DataFrame"])
def test_create_from_each_format_with_label_column(where, tmp_path, fmt):
    frame = reviews(12)
    frame.loc[2:, "sentiment"] = None  # only r000 and r001 come labelled
    data = write_data(frame, tmp_path, fmt)
    with Project.create(where, data, LABELS, id_column="id", label_column="sentiment",
                        eval_share=0, seed=0) as project:
        assert project.kind == "text" and project.text_column == "text"
        assert counts(project.created_import) == {"added": 12, "duplicates": 0, "labelled": 2}
        status = project.status()
        assert status["n_items"] == 12 and status["n_answered"] == 2 and status["n_left"] == 10
        assert status["by_annotator"] == {"import": 2}
        expected = truth(frame.iloc[:2])
        assert status["by_label"] == {label: list(expected.values()).count(label) for label in set(expected.values())}
        rows = project.export_rows()
        assert {r["item_id"]: r["label"] for r in rows} == expected
        assert {r["annotator"] for r in rows} == {"import"}
        served = serve_all(project, "ana")
        # the row is the item's data: the text (no id, no label column), and labelled items are not served
        assert {item.id: item.data for item in served} == {
            i: {"text": t} for i, t in zip(frame["id"][2:], frame["text"][2:])
        }


def test_imported_labels_are_training_labels(where):
    frame = reviews(20)
    frame.loc[4:, "sentiment"] = None
    assert set(frame["sentiment"][:4]) == {"pos", "neg"}
    with Project.create(where, frame, LABELS, id_column="id", label_column="sentiment",
                        retrain_every=4, eval_share=0, seed=0) as project:
        assert project.status()["runs"] == []
        project.next_item("ana")  # four training labels are due for a retrain: it starts in the background
        runs = wait_for(lambda: project.status()["runs"], what="the retrain of the imported labels")
        assert runs[0]["n_train"] == 4 and runs[0]["eval_accuracy"] is None


def test_table_kind_from_numeric_columns(where):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    frame = pd.DataFrame({"height": x[:, 0], "width": x[:, 1], "n": np.arange(40)})
    with Project.create(where, frame, ["small", "big"], eval_share=0, seed=0,
                        retrain_every=10_000) as project:
        assert project.kind == "table" and project.text_column is None
        assert project.feature_columns == ["height", "width", "n"]
        item = project.next_item("ana")
        row = frame.iloc[int(item.id)]  # no id column: the id is the 0-based row number
        assert item.data == {"height": row["height"], "width": row["width"], "n": int(row["n"])}
        answer_by_rule = lambda it: "big" if it.data["height"] > 0 else "small"  # noqa: E731
        project.answer(item.id, answer_by_rule(item), "ana")
        for _ in range(9):
            item = project.next_item("ana")
            project.answer(item.id, answer_by_rule(item), "ana")
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 10
        item = project.next_item("ana")
        assert item.guess in ("small", "big") and 0.0 <= item.uncertainty <= 1.0


def test_table_import_with_a_stray_word_names_the_cell_and_changes_nothing(where, tmp_path):
    frame = pd.DataFrame({"height": [1.0, 2.0, 3.0], "width": [0.5, 0.1, 0.2]})
    with Project.create(where, frame, ["small", "big"], eval_share=0) as project:
        project.answer("0", "big", "ana")
        before = state(project)
        data = tmp_path / "more.csv"
        data.write_text("height,width\n1.5,2.0\n2.5,unknown\n")
        with pytest.raises(InputError, match=r"more\.csv, line 3: expected a number in feature column 'width', got 'unknown'"):
            project.import_items(data)
        assert state(project) == before
        data.write_text("height,depth\n1.5,2.0\n")
        with pytest.raises(InputError, match=r"feature columns height, width in more\.csv; missing: width"):
            project.import_items(data)
        data.write_text("review\nnot a table\n")
        with pytest.raises(InputError, match="missing: height, width"):
            project.import_items(data)
        assert state(project) == before
        data.write_text("height,width\n1.5,2.0\n2.5,3.0\n")
        assert counts(project.import_items(data)) == {"added": 2, "duplicates": 0, "labelled": 0}
        assert {item.id for item in serve_all(project, "ana")} == {"1", "2", "3", "4"}  # numbered on


def test_text_column_by_name_among_several_string_columns(where):
    frame = pd.DataFrame({"title": ["A", "B", "C"], "body": ["good film", "bad film", "fine"],
                          "stars": [5, 1, 3]})
    with pytest.raises(InputError, match="several string columns: title, body"):
        Project.create(where, frame, LABELS)
    assert nothing_at(where)
    with Project.create(where, frame, LABELS, text_column="body", eval_share=0) as project:
        assert project.kind == "text" and project.text_column == "body"
        items = {i.id: i for i in serve_all(project, "ana")}
        # faces read data["text"]: the chosen column is stored under that name, the rest kept as context
        assert items["1"].data == {"text": "bad film", "title": "B", "stars": 1}


def test_text_column_by_name_when_another_column_is_called_text(where):
    frame = pd.DataFrame({"body": ["good film", "bad film", "fine", "awful"],
                          "text": ["note 1", "note 2", "note 3", "note 4"]})
    with Project.create(where, frame, LABELS, text_column="body", eval_share=0) as project:
        items = {i.id: i for i in serve_all(project, "ana", lambda it: "pos" if it.id in "02" else "neg")}
        assert items["1"].data["text"] == "bad film"  # the text, not the other column of that name
        assert items["1"].data == {"text": "bad film", "other_text": "note 2"}  # the other column is kept
        project.retrain(wait=True)  # features are built from the texts, not the notes
        # both import ids and the text survive a later import of the same shape
        project.import_items(pd.DataFrame({"body": ["great"], "text": ["note 5"]}))
        item = project.next_item("bob")
        assert item.data == {"text": "great", "other_text": "note 5"}


def test_single_string_column_is_the_text(where):
    frame = pd.DataFrame({"review": ["good film", "bad film", "fine"], "stars": [5, 1, 3]})
    with Project.create(where, frame, LABELS, eval_share=0) as project:
        assert project.kind == "text" and project.text_column == "review"
        assert {i.id: i.data for i in serve_all(project, "ana")}["0"] == {"text": "good film", "stars": 5}


def test_create_checks_its_arguments_and_leaves_nothing(tmp_path, frame):
    # SQLite only: about the files left in the folder, folders and data files named as projects
    # (the arguments are checked before any store is touched, whatever the backend).
    path = tmp_path / "p.hilt"
    cases = [
        (dict(labels=["pos"]), "at least two labels"),
        (dict(labels=["pos", "pos"]), "distinct labels"),
        (dict(labels="pos,neg"), "list of strings"),
        (dict(strategy="best"), "best"),
        (dict(retrain_every=0), "retrain_every"),
        (dict(eval_share=1.5), "eval_share"),
        (dict(model=object()), "predict_proba or decision_function"),
        (dict(model=NotAnEstimator()), "scikit-learn classifier .with get_params"),
        (dict(seed="x"), "seed"),
    ]
    for kwargs, message in cases:
        kwargs = {"labels": LABELS, **kwargs}
        with pytest.raises(InputError, match=message):
            Project.create(path, frame, kwargs.pop("labels"), id_column="id", **kwargs)
        assert sorted(p.name for p in tmp_path.iterdir()) == [], kwargs
    with pytest.raises(NotFoundError, match="folder"):
        Project.create(tmp_path / "no" / "p.hilt", frame, LABELS, id_column="id")
    (tmp_path / "folder.hilt").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        Project.create(tmp_path / "folder.hilt", frame, LABELS, id_column="id", exist_ok=True)
    assert (tmp_path / "folder.hilt").is_dir()
    data = tmp_path / "items.csv"
    frame.to_csv(data, index=False)
    with pytest.raises(InputError, match="differ"):
        Project.create(data, data, LABELS, id_column="id", exist_ok=True)
    assert pd.read_csv(data).equals(frame)  # the data file is not replaced by the project
    Project.create(path, frame, LABELS, id_column="id", seed=np.int64(3)).close()
    with pytest.raises(InputError, match="predict_proba or decision_function"):
        Project.open(path, model=object())


class NotAnEstimator:
    """Has predict_proba but no get_params: scikit-learn cannot clone it."""

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.full((X.shape[0], 2), 0.5)


# --- bad input: nothing left behind on create, nothing changed on import ---------------------

HEADER = "id,text,sentiment\n"


def bad_inputs():
    """(case, file name, bytes, exception, message fragment) for each kind of bad input of issue 4."""
    good = "n1,a fine new film,pos\nn2,dull and long,\n"
    return [
        ("missing column", "items.csv", b"id,review,sentiment\nn1,fine,pos\n", InputError,
         r"text column named 'text'.*columns are: id, review, sentiment"),
        ("empty file", "items.csv", b"", InputError, r"items\.csv.*empty"),
        ("malformed JSONL line", "items.jsonl",
         b'{"id": "n1", "text": "fine", "sentiment": null}\n{"id": "n2", "text": "ok"}\n{"id": "n3", "text": \n',
         InputError, r"items\.jsonl, line 3: invalid JSON"),
        ("bad CSV row", "items.csv", (HEADER + good + "n3,too,many,fields\n").encode(), InputError,
         r"items\.csv, line 4: expected 3 fields"),
        ("label not in the label list", "items.csv", (HEADER + "n1,fine,pos\nn2,meh,meh\n").encode(),
         InputError, r"items\.csv, line 3: expected a label from pos, neg in column 'sentiment', got 'meh'"),
        ("non-UTF-8 bytes", "items.csv", (HEADER + "n1,fine,pos\n").encode() + "n2,café,neg\n".encode("latin-1"),
         InputError, r"items\.csv, line 3: .*encoding='latin-1'"),
    ]


@pytest.mark.parametrize("case,name,content,error,message", bad_inputs(), ids=[c[0] for c in bad_inputs()])
def test_bad_input_on_create_leaves_no_file(where, tmp_path, case, name, content, error, message):
    data_folder = tmp_path / "data"
    data_folder.mkdir()
    data = data_folder / name
    data.write_bytes(content)
    with pytest.raises(error, match=message):
        Project.create(where, data, LABELS, text_column="text", id_column="id", label_column="sentiment")
    assert nothing_at(where)
    if isinstance(where, Path):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("case,name,content,error,message", bad_inputs(), ids=[c[0] for c in bad_inputs()])
def test_bad_input_on_import_leaves_project_as_it_was(tmp_path, project, case, name, content, error, message):
    project.answer("r001", "pos", "ana")
    project.next_item("bob")  # a lease is part of the state too
    before = state(project)
    data = tmp_path / name
    data.write_bytes(content)
    with pytest.raises(error, match=message):
        project.import_items(data, label_column="sentiment")
    assert state(project) == before
    project.close()
    with Project.open(project.path) as reopened:
        assert state(reopened) == before


def test_non_utf8_file_reads_with_the_suggested_encoding(where, tmp_path):
    data = tmp_path / "items.csv"
    data.write_bytes((HEADER + "n1,café au lait,pos\nn2,thé,\n").encode("latin-1"))
    with Project.create(where, data, LABELS, id_column="id", label_column="sentiment",
                        encoding="latin-1", eval_share=0) as project:
        assert project.next_item("ana").data == {"text": "thé"}


def test_duplicate_ids_on_create_are_skipped_and_counted(where):
    frame = pd.DataFrame({"id": ["a", "b", "a", "c", "b"], "text": ["first a", "b", "second a", "c", "again b"]})
    with Project.create(where, frame, LABELS, id_column="id", eval_share=0, drop_duplicate_ids=True) as project:
        assert counts(project.created_import) == {"added": 3, "duplicates": 2, "labelled": 0}
        assert project.status()["n_items"] == 3
        served = {item.id: item.data["text"] for item in serve_all(project, "ana")}
        assert served == {"a": "first a", "b": "b", "c": "c"}  # the first row of an id wins


def test_duplicate_ids_on_import_are_skipped_and_counted(project, frame):
    project.answer("r000", "neg", "ana")
    new = pd.DataFrame({"id": ["r000", "r001", "n1", "n1", "n2"],
                        "text": ["changed", "changed", "new one", "new one again", "new two"]})
    assert counts(project.import_items(new, drop_duplicate_ids=True)) == {"added": 2, "duplicates": 3, "labelled": 0}
    status = project.status()
    assert status["n_items"] == 32 and status["n_answered"] == 1
    served = {item.id: item.data["text"] for item in serve_all(project, "ana")}
    assert len(served) == 31 and served["r001"] == frame["text"][1]  # the item already there is kept
    assert served["n1"] == "new one" and served["n2"] == "new two"
    assert project.export_rows()[0]["text"] == frame["text"][0]


def test_import_adds_items_and_labels(project):
    new = pd.DataFrame({"id": ["n1", "n2"], "text": ["superb", "awful"], "sentiment": ["pos", None]})
    assert counts(project.import_items(new, label_column="sentiment")) == {"added": 2, "duplicates": 0, "labelled": 1}
    assert project.status()["by_annotator"] == {"import": 1}
    with pytest.raises(InputError, match="text column named 'text' in DataFrame; the columns are: a, b"):
        project.import_items(pd.DataFrame({"a": [1.0], "b": [2.0]}))


def test_existing_file_needs_exist_ok(where, tmp_path, frame):
    path = where
    with Project.create(path, frame, LABELS, id_column="id", label_column="sentiment") as first:
        before = state(first)
    content = path.read_bytes() if isinstance(path, Path) else None
    with pytest.raises(ConflictError, match="exist_ok=True"):
        Project.create(path, reviews(5, seed=1), LABELS, id_column="id")
    if isinstance(path, Path):
        assert path.read_bytes() == content
    with Project.open(path) as again:
        assert state(again) == before
    # a bad file with exist_ok=True does not destroy the project it would have replaced
    with pytest.raises(InputError, match="no such file"):
        Project.create(path, tmp_path / "missing.csv", LABELS, exist_ok=True)
    with Project.open(path) as again:
        assert state(again) == before
    with Project.create(path, reviews(5, seed=1), LABELS, id_column="id", exist_ok=True) as replaced:
        assert replaced.status()["n_items"] == 5 and replaced.status()["n_answered"] == 0


# --- the queue -------------------------------------------------------------------------------


def test_asking_again_before_answering_returns_the_same_item(project):
    first = project.next_item("ana")
    assert project.next_item("ana") == first
    project.answer(first.id, "pos", "ana")
    assert project.next_item("ana").id != first.id


def test_an_item_is_never_leased_to_two_annotators(project):
    held = [project.next_item(name) for name in ("ana", "bob", "cy", "dee", "eve")]
    assert len({item.id for item in held}) == 5
    assert [project.next_item(name) for name in ("ana", "bob", "cy", "dee", "eve")] == held


def test_threads_label_every_item_exactly_once(project):
    answered: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def label(name: str) -> None:
        try:
            while (item := project.next_item(name)) is not None:
                project.answer(item.id, "pos", name)
                answered.append((name, item.id))
        except BaseException as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=label, args=(name,)) for name in ("ana", "bob", "cy", "dee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    ids = [item_id for _, item_id in answered]
    assert sorted(ids) == sorted(f"r{i:03d}" for i in range(30))  # each exactly once
    assert project.status()["n_answered"] == 30


def test_a_lease_expires(where):
    with Project.create(where, pd.DataFrame({"text": ["only one"]}), LABELS,
                        lease_seconds=2, eval_share=0) as project:
        held = project.next_item("ana")
        assert project.next_item("bob") is None  # leased to ana (2 s: room for a slow, busy machine)
        taken = wait_for(lambda: project.next_item("bob"), what="ana's lease to expire")
        assert taken.id == held.id
        assert project.next_item("ana") is None  # now it is bob's


def test_answered_items_are_never_served_again_and_the_end_is_none(project):
    served = serve_all(project, "ana", lambda item: "pos")
    assert len(served) == 30 and len({item.id for item in served}) == 30
    assert project.next_item("ana") is None and project.next_item("bob") is None
    assert project.peek_items("bob", 5) == []


def test_cold_start_serves_items_in_a_random_order(place):
    frame = unlabelled(reviews(60))
    orders = []
    for n, seed in enumerate((1, 2, 1)):
        with Project.create(place(f"p{n}.hilt"), frame, LABELS, id_column="id", eval_share=0,
                            seed=seed) as project:
            served = serve_all(project, "ana")  # skips: no labels, no model, stays cold
            assert all(item.guess is None and item.uncertainty is None for item in served)
            assert project.status()["runs"] == []
            orders.append([item.id for item in served])
    file_order = list(frame["id"])
    for order in orders:
        assert sorted(order) == file_order and order != file_order
    assert orders[0] != orders[1]  # the order comes from the seed, not from the data
    assert orders[0] == orders[2]  # and a seed reproduces it


TOPICS = {
    "sport": ["goal", "match", "team", "score", "coach"],
    "food": ["soup", "bread", "spice", "dinner", "recipe"],
    "tech": ["laptop", "code", "server", "chip", "network"],
}


def topic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Texts mixing the words of the three topics in varying shares: varied uncertainty."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    rows = []
    for i in range(n):
        share = rng.dirichlet([0.7, 0.7, 0.7])
        counts = rng.multinomial(6, share)
        words = [w for name, k in zip(names, counts) for w in rng.choice(TOPICS[name], k)]
        rows.append({"text": " ".join(words) or "nothing", "topic": names[int(np.argmax(counts))]})
    return pd.DataFrame(rows)


def test_after_retrain_the_most_uncertain_items_come_first(where):
    frame = topic_frame(120)
    labels = list(TOPICS)
    with Project.create(where, frame[["text"]], labels, strategy="entropy", eval_share=0.2,
                        retrain_every=10_000, seed=3) as project:
        train: dict[int, str] = {}
        while len(train) < 12 or len(set(train.values())) < 3:  # through the queue, as a person would
            item = project.next_item("ana")
            label = frame["topic"][int(item.id)]
            project.answer(item.id, label, "ana")
            if not item.is_eval:
                train[int(item.id)] = label
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == len(train)

        # The same model, fitted independently on the same features, scored by hilt.sampling.
        featurizer = make_featurizer("text")  # the project's default, with its classifier strength
        X = featurizer.fit_transform(frame["text"].tolist()).astype(np.float32)
        rows = np.array(sorted(train))
        model = default_classifier(C=featurizer.classifier_C).fit(X[rows], [train[r] for r in rows])
        uncertainty = score(model.predict_proba(X), "entropy")

        is_eval = {int(item.id): item.is_eval for item in project.peek_items("zed", 10_000)}
        served_eval = [0, 0]
        candidates = {i for i in range(len(frame)) if i not in train}
        for _ in range(40):  # walk the ranking with skips (skips do not retrain)
            item = project.next_item("bob")
            row = int(item.id)
            served_eval[item.is_eval] += 1
            # Every item, evaluation items too (see the next test), carries the model's guess
            # and the strategy's score, as an independent fit gives them.
            assert item.uncertainty == pytest.approx(uncertainty[row], abs=1e-5)
            assert item.guess == model.predict(X[row : row + 1])[0]
            if not item.is_eval:
                best = max(uncertainty[c] for c in candidates if not is_eval.get(c, True))
                assert uncertainty[row] >= best - 1e-5, (uncertainty[row], best)
            candidates.discard(row)
            project.answer(item.id, None, "bob")
        assert served_eval[1] >= 4  # evaluation items stay mixed in after the first model


def test_whether_an_item_has_a_guess_never_tells_an_evaluation_item_apart(where):
    """Once a model exists, an item's guess (and uncertainty) is there or not whatever its
    is_eval: guesses on training items alone marked every item without one as an evaluation
    item (10 of 10 against 94 of 94). Exact counts (fixed seed) over the items served, leased
    and previewed; and the ranking the project reports holds training items only."""
    frame = reviews(200, seed=2)
    right = truth(frame)
    with Project.create(where, frame[["id", "text"]], LABELS, id_column="id", eval_share=0.3,
                        retrain_every=10_000, seed=5, features="tfidf") as project:
        for _ in range(30):
            item = project.next_item("ana")
            project.answer(item.id, right[item.id], "ana")
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["eval_accuracy"] is not None  # a model, measured
        table: dict[tuple[bool, bool, bool], int] = {}

        def count(item: Item) -> None:
            key = (item.is_eval, item.guess is not None, item.uncertainty is not None)
            table[key] = table.get(key, 0) + 1

        item = project.next_item("bob")
        for n in range(100):
            count(item)
            for ahead in project.peek_items("bob", 2):
                count(ahead)
            item = project.answer(item.id, None, "bob", lease_next=True)["next"]
        # 30 % of the serves are evaluation items; every one of the 300 carries a guess.
        assert table == {(False, True, True): 210, (True, True, True): 90}
        ranked = {key for key, _, _ in project._store.ranking()}
        assert ranked and not ranked & {key for key, evaluation in is_eval_of(project).items() if evaluation}


def is_eval_of(project: Project) -> dict[str, bool]:
    return {item.id: item.is_eval for item in project.peek_items("nobody", 10_000)}


def test_eval_share_of_served_items(where):
    n = 500
    with Project.create(where, pd.DataFrame({"text": [f"item {i}" for i in range(n)]}), LABELS,
                        eval_share=0.2, seed=7) as project:
        n_eval_items = project.status()["n_eval_items"]
        # each item joins the sample with probability 0.2: 4 standard deviations of Binomial(500, 0.2)
        assert abs(n_eval_items - 0.2 * n) <= 4 * np.sqrt(n * 0.2 * 0.8)
        served = [project.next_item("ana") for _ in range(1)]
        for _ in range(249):
            project.answer(served[-1].id, None, "ana")
            served.append(project.next_item("ana"))
        share = sum(item.is_eval for item in served) / len(served)
        assert 0.15 <= share <= 0.25, share


def test_a_later_import_draws_its_evaluation_sample_from_the_project_seed(tmp_path):
    first = pd.DataFrame({"id": [f"a{i}" for i in range(100)], "text": [f"item {i}" for i in range(100)]})
    more = pd.DataFrame({"id": [f"b{i}" for i in range(300)], "text": [f"more {i}" for i in range(300)]})

    def sample_after_import(name: str, seed: int | None) -> set[str]:
        with Project.create(tmp_path / name, first, LABELS, id_column="id", eval_share=0.3, seed=seed) as project:
            project.import_items(more)
            return {key for key, evaluation in is_eval_of(project).items() if evaluation and key[0] == "b"}

    same = sample_after_import("one.hilt", 4)
    assert same == sample_after_import("two.hilt", 4)  # the same seed draws the same sample
    assert same != sample_after_import("three.hilt", 5)
    # an import does not replay the creation's draws: its items' pattern is not the first 300 of them
    replay = np.random.default_rng(4).random(400)[100:] < 0.3
    assert same != {f"b{i}" for i in np.flatnonzero(replay)}
    assert abs(len(same) - 90) <= 4 * np.sqrt(300 * 0.3 * 0.7)


def test_eval_items_are_never_trained_on_and_measure_accuracy(where):
    frame = reviews(60, neutral=0)  # nothing but sentiment words: the model gets every item right
    right = truth(frame)
    with Project.create(where, frame[["id", "text"]], LABELS, id_column="id", eval_share=0.3,
                        retrain_every=10_000, seed=5) as project:
        n_train = n_eval = n_eval_right = 0
        flipped = {"pos": "neg", "neg": "pos"}
        while (item := project.next_item("bob")) is not None:
            if item.is_eval:
                # every other evaluation answer is wrong on purpose: accuracy must be about 1/2
                label = right[item.id] if n_eval % 2 == 0 else flipped[right[item.id]]
                n_eval += 1
                n_eval_right += label == right[item.id]
            else:
                label = right[item.id]
                n_train += 1
            project.answer(item.id, label, "bob")
        assert n_eval >= 8 and n_train >= 20
        project.retrain(wait=True)
        run = project.status()["runs"][-1]
        assert run["n_train"] == n_train  # the evaluation answers are not in the training set
        assert run["n_eval"] == n_eval
        assert run["eval_accuracy"] == pytest.approx(n_eval_right / n_eval)


# --- answers ---------------------------------------------------------------------------------


def test_skip_counts_and_is_not_served_again_to_that_annotator(where):
    with Project.create(where, pd.DataFrame({"text": ["one", "two"]}), LABELS,
                        eval_share=0) as project:
        skipped = project.next_item("ana")
        assert project.answer(skipped.id, None, "ana")["saved"] is True
        status = project.status()
        assert status["n_skipped"] == 1 and status["n_answered"] == 0 and status["by_annotator"] == {}
        other = project.next_item("ana")
        assert other.id != skipped.id
        project.answer(other.id, "pos", "ana")
        assert project.next_item("ana") is None
        assert project.next_item("bob").id == skipped.id  # a skip is personal: others still see it
        assert [r["item_id"] for r in project.export_rows()] == [other.id]  # skips are not labels


def test_repeating_an_answer_id_stores_nothing_new(project):
    item = project.next_item("ana")
    first = project.answer(item.id, "pos", "ana", answer_id="a-1")
    assert first == {"saved": True, "answer_id": "a-1", "duplicate": False}
    before = state(project)
    assert project.answer(item.id, "pos", "ana", answer_id="a-1") == {**first, "duplicate": True}
    assert state(project) == before
    with pytest.raises(ConflictError, match="a-1"):  # the same id for a different answer is a mistake
        project.answer(item.id, "neg", "ana", answer_id="a-1")
    assert state(project) == before
    with pytest.raises(InputError, match="answer_id"):
        project.answer(item.id, "neg", "ana", answer_id="")


def test_a_label_outside_the_list_names_the_labels(project):
    item = project.next_item("ana")
    with pytest.raises(InputError, match=r"label from pos, neg \(or None to skip\); got 'maybe'"):
        project.answer(item.id, "maybe", "ana")
    assert project.status()["n_answered"] == 0 and project.next_item("ana") == item


def test_an_unknown_item_is_not_found(project):
    with pytest.raises(NotFoundError, match="'nope'"):
        project.answer("nope", "pos", "ana")
    assert project.export_rows(include_retracted=True) == []


def test_bad_annotator_names(project):
    for name in ("two words", "", "import", None):
        with pytest.raises(InputError, match="annotator name"):
            project.next_item(name)


def test_answering_an_item_leased_to_someone_else_is_accepted(project):
    """The documented choice: a lease decides who is served an item, it does not lock answering.
    A person whose lease ran out while they were thinking keeps their label."""
    held = project.next_item("ana")
    assert project.answer(held.id, "neg", "bob")["saved"] is True
    assert project.status()["by_annotator"] == {"bob": 1}
    nxt = project.next_item("ana")  # ana is not served the item again: it has a label now
    assert nxt.id != held.id
    project.answer(held.id, "pos", "ana")  # her late answer is kept too
    status = project.status()
    assert status["n_answered"] == 1 and status["by_annotator"] == {"ana": 1, "bob": 1}
    # two people, two labels, no review: a tie, which the earlier answer wins (issue 13's rule)
    assert status["by_label"] == {"neg": 1}
    assert [(r["annotator"], r["label"]) for r in project.export_rows()] == [("bob", "neg")]
    assert [(r["annotator"], r["label"]) for r in project.export_rows(include_retracted=True)] == [
        ("bob", "neg"), ("ana", "pos")]


def test_answer_can_lease_the_next_item_in_the_same_step(where):
    with Project.create(where, pd.DataFrame({"text": ["one", "two", "three", "four"]}), LABELS,
                        eval_share=0, seed=0) as project:
        first = project.next_item("ana")
        reply = project.answer(first.id, "pos", "ana", answer_id="a-1", lease_next=True)
        assert reply["saved"] is True and reply["duplicate"] is False
        second = reply["next"]
        assert isinstance(second, Item) and second.id != first.id
        assert project.next_item("ana") == second  # leased to ana: what next_item serves her
        assert project.next_item("bob").id not in (first.id, second.id)  # and to nobody else
        retried = project.answer(first.id, "pos", "ana", answer_id="a-1", lease_next=True)
        assert retried == {**reply, "duplicate": True}  # a retry gets the item it was first given
        assert project.status()["n_answered"] == 1
        assert "next" not in project.answer(second.id, "neg", "ana")
        last = project.next_item("ana")
        assert project.answer(last.id, None, "ana", lease_next=True)["next"] is None  # bob holds the rest


# --- undo ------------------------------------------------------------------------------------


def test_undo_retracts_the_latest_answer_and_hands_the_item_back(project):
    first, second = project.next_item("ana"), None
    project.answer(first.id, "pos", "ana")
    second = project.next_item("ana")
    project.answer(second.id, "neg", "ana")
    assert project.undo("ana") == second
    status = project.status()
    assert status["n_answered"] == 1 and status["by_label"] == {"pos": 1}
    assert [r["item_id"] for r in project.export_rows()] == [first.id]
    every = project.export_rows(include_retracted=True)
    assert [(r["item_id"], r["label"], r["retracted"]) for r in every] == [
        (first.id, "pos", False), (second.id, "neg", True)]
    assert project.next_item("bob").id not in (first.id, second.id)  # handed back to ana only
    assert project.next_item("ana") == second
    project.answer(second.id, "pos", "ana")
    assert project.status()["by_label"] == {"pos": 2}


def test_undo_is_per_annotator(project):
    a = project.next_item("ana")
    project.answer(a.id, "pos", "ana")
    b = project.next_item("bob")
    project.answer(b.id, "neg", "bob")
    b2 = project.next_item("bob")
    project.answer(b2.id, None, "bob")  # a skip is an answer too, and undone like one
    assert project.undo("ana") == a
    assert project.status()["by_annotator"] == {"bob": 1}
    assert project.undo("ana") is None  # ana has nothing left to undo; bob's answers are untouched
    assert project.status()["n_skipped"] == 1
    assert project.undo("bob") == b2 and project.status()["n_skipped"] == 0
    assert project.undo("bob") == b
    assert project.undo("bob") is None
    assert project.undo("cy") is None
    assert project.status()["n_answered"] == 0


def test_undo_leaves_an_item_with_the_annotator_now_holding_it(where):
    with Project.create(where, pd.DataFrame({"text": ["one", "two", "three"]}), LABELS,
                        eval_share=0, seed=0) as project:
        skipped = project.next_item("ana")
        project.answer(skipped.id, None, "ana")
        mine = project.next_item("ana")
        held = project.next_item("bob")
        assert held.id == skipped.id  # a skip is personal: bob is served it
        assert project.undo("ana") is None  # retracted, but not taken from bob's screen
        assert project.status()["n_skipped"] == 0
        assert [r["retracted"] for r in project.export_rows(include_retracted=True)] == [True]
        assert project.next_item("bob") == held and project.next_item("ana") == mine


# --- retraining and status -------------------------------------------------------------------


def test_background_retrain_after_retrain_every_training_answers(where, frame):
    right = truth(frame)
    with Project.create(where, frame[["id", "text"]], LABELS, id_column="id", eval_share=0,
                        retrain_every=4, seed=0) as project:
        labels_given = []
        while len(set(labels_given)) < 2 or len(labels_given) < 3:
            item = project.next_item("ana")
            project.answer(item.id, None, "bob")  # skips are not training answers
            project.answer(item.id, right[item.id], "ana")
            labels_given.append(right[item.id])
        assert len(labels_given) < 4 and project.status()["runs"] == []
        item = project.next_item("ana")
        project.answer(item.id, right[item.id], "ana")  # the fourth: a retrain starts, answer() does not wait
        runs = wait_for(lambda: project.status()["runs"], what="the background retrain")
        run = runs[0]
        assert run["n_train"] == 4 and run["eval_accuracy"] is None and run["n_eval"] == 0
        assert run["strategy"] == "margin"
        assert datetime.fromisoformat(run["finished_at"]) >= datetime.fromisoformat(run["started_at"])
        wait_for(lambda: not project.status()["retraining"], what="the worker to go idle")
        assert project.status()["retrain_error"] is None
        item = project.next_item("ana")
        assert item.guess in LABELS and 0.0 <= item.uncertainty <= 1.0  # served from the ranking


def test_retrain_needs_two_different_labels(project):
    for _ in range(3):
        item = project.next_item("ana")
        project.answer(item.id, "pos", "ana")
    project.retrain(wait=True)
    assert project.status()["runs"] == []


def test_status_counts(where, frame):
    frame = frame.copy()
    frame.loc[2:, "sentiment"] = None
    frame.loc[0:1, "sentiment"] = ["pos", "neg"]
    with Project.create(where, frame, LABELS, id_column="id", label_column="sentiment",
                        eval_share=0, retrain_every=10_000) as project:
        for label in ("pos", "pos", "neg"):
            project.answer(project.next_item("ana").id, label, "ana")
        project.answer(project.next_item("bob").id, "neg", "bob")
        project.answer(project.next_item("bob").id, None, "bob")
        retracted = project.next_item("cy")
        project.answer(retracted.id, "pos", "cy")
        project.undo("cy")
        status = project.status()
        assert status["n_items"] == 30 and status["n_answered"] == 6 and status["n_skipped"] == 1
        assert status["n_left"] == 24
        assert status["by_label"] == {"pos": 3, "neg": 3}
        assert status["by_annotator"] == {"import": 2, "ana": 3, "bob": 1}
        assert status["labels"] == LABELS and status["strategy"] == "margin" and status["kind"] == "text"
        assert status["runs"] == []
        json.dumps(status.to_dict())  # JSON-able, as the server and `hilt status --json` send it


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def answered(project, frame):
    """ana labels three items and skips one, bob labels one and undoes it."""
    items = [project.next_item("ana") for _ in range(1)]
    for label in ("pos", "neg", "pos"):
        project.answer(items[-1].id, label, "ana")
        items.append(project.next_item("ana"))
    project.answer(items[-1].id, None, "ana")
    undone = project.next_item("bob")
    project.answer(undone.id, "neg", "bob")
    project.undo("bob")
    return project, items[:3], undone


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_round_trips_current_labels(tmp_path, answered, frame, suffix):
    project, labelled, _ = answered
    path = tmp_path / f"labels{suffix}"
    assert project.export(path) == 3
    read = pd.read_json(path, lines=True, dtype=False) if suffix == ".jsonl" else pd.read_csv(path, dtype=str)
    assert list(read.columns) == ["item_id", "label", "annotator", "answered_at", "answer_id", "text"]
    assert read.to_dict("records") == project.export_rows()
    assert list(read["item_id"]) == [item.id for item in labelled]
    assert list(read["label"]) == ["pos", "neg", "pos"] and set(read["annotator"]) == {"ana"}
    text_of = dict(zip(frame["id"], frame["text"]))
    assert list(read["text"]) == [text_of[i] for i in read["item_id"]]
    for value in read["answered_at"]:
        assert datetime.fromisoformat(value).tzinfo is not None


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_all_includes_retracted_answers_and_skips(tmp_path, answered, suffix):
    project, labelled, undone = answered
    path = tmp_path / f"all{suffix}"
    assert project.export(path, include_retracted=True) == 5
    if suffix == ".jsonl":
        read = pd.read_json(path, lines=True, dtype=False)
    else:
        read = pd.read_csv(path, dtype={"item_id": str, "retracted": bool})
    rows = [{k: None if pd.isna(v) else v for k, v in row.items()} for row in read.to_dict("records")]
    assert [(r["item_id"], r["label"], r["annotator"], r["retracted"]) for r in rows] == [
        (labelled[0].id, "pos", "ana", False), (labelled[1].id, "neg", "ana", False),
        (labelled[2].id, "pos", "ana", False), (rows[3]["item_id"], None, "ana", False),
        (undone.id, "neg", "bob", True),
    ]


def test_export_to_an_unknown_extension(tmp_path, answered):
    project, _, _ = answered
    with pytest.raises(InputError, match=r"\.jsonl, \.csv or \.parquet; got 'labels\.xlsx'"):
        project.export(tmp_path / "labels.xlsx")
    with pytest.raises(InputError, match="folder"):
        project.export(tmp_path / "missing" / "labels.csv")
    assert not (tmp_path / "labels.xlsx").exists()


# --- annotators ------------------------------------------------------------------------------


def test_annotator_tokens_are_stored_hashed_and_rotate(project):
    token = project.add_annotator("ana")
    assert isinstance(token, str) and len(token) >= 32
    assert project.annotator_for_token(token) == "ana"
    assert project.annotator_for_token("not a token") is None and project.annotator_for_token("") is None
    if isinstance(project.path, Path):  # the file and its companions (-wal, -shm, the .d folder)
        files = [p for p in project.path.parent.iterdir() if p.name.startswith(project.path.name)]
        for path in files:
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
    stored = dict(rows_at(project.path, "SELECT name, token_hash FROM annotators"))
    assert stored == {"ana": hashlib.sha256(token.encode()).hexdigest()}
    fresh = project.add_annotator("ana")
    assert fresh != token
    assert project.annotator_for_token(fresh) == "ana" and project.annotator_for_token(token) is None
    bob = project.add_annotator("bob")
    assert project.annotator_for_token(bob) == "bob" and project.annotator_for_token(fresh) == "ana"
    assert project.annotators() == ["ana", "bob"]
    with pytest.raises(InputError, match="reserved"):
        project.add_annotator("import")


# --- reopening -------------------------------------------------------------------------------


def test_reopen_keeps_everything(where, frame):
    path = where
    right = truth(frame)
    project = Project.create(path, frame[["id", "text"]], LABELS, id_column="id", strategy="least",
                             eval_share=0.2, retrain_every=1000, lease_seconds=300, seed=0)
    token = project.add_annotator("ana")
    for _ in range(8):
        item = project.next_item("ana")
        project.answer(item.id, right[item.id], "ana")
    project.undo("ana")
    project.retrain(wait=True)
    held = project.next_item("bob")
    before = state(project)
    project.close()
    project.close()  # closing twice is harmless
    with Project.open(path) as reopened:
        assert state(reopened) == before
        assert len(before[0]["runs"]) == 1
        assert (reopened.labels, reopened.strategy, reopened.kind) == (LABELS, "least", "text")
        assert (reopened.retrain_every, reopened.eval_share, reopened.lease_seconds) == (1000, 0.2, 300)
        assert reopened.annotator_for_token(token) == "ana"
        assert reopened.next_item("bob") == held  # the lease survived, ranking and all
        undone = [r for r in before[1] if r["retracted"]][0]
        assert reopened.next_item("ana").id == undone["item_id"]  # the undone item is still ana's


def test_open_a_missing_file(tmp_path):  # SQLite only: files (an empty database: test_store.py)
    with pytest.raises(NotFoundError, match="no such file"):
        Project.open(tmp_path / "missing.hilt")


def test_open_a_file_that_is_not_a_project_leaves_it_untouched(tmp_path):
    # SQLite only: files (a database holding another application's tables: test_store.py)
    notes = tmp_path / "notes.hilt"
    notes.write_text("id,text\n1,hello\n")
    other = tmp_path / "other.db"  # somebody else's SQLite database
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    empty = tmp_path / "empty.hilt"
    empty.write_bytes(b"")
    for path in (notes, other, empty):
        before = path.read_bytes()
        with pytest.raises(InputError, match="not one"):
            Project.open(path)
        assert path.read_bytes() == before, path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.hilt", "notes.hilt", "other.db"]


def test_warm_builds_the_features_once(where, frame):
    # On PostgreSQL the cache lives in a folder of this host's own, made on the first save.
    path = where
    with Project.create(path, frame[["id", "text"]], LABELS, id_column="id", eval_share=0) as project:
        assert project.warm() == "built"
        assert project.warm() == "memory"
    with Project.open(path) as reopened:
        assert reopened.warm() == "disk"  # kept beside the project file, or in this host's cache folder
        reopened.import_items(pd.DataFrame({"id": ["n1"], "text": ["a new item"]}))
        assert reopened.warm() == "extended"  # a new item: its rows are added to the kept ones


# --- custom models ---------------------------------------------------------------------------


def test_custom_text_model_multinomial_nb(where, frame):
    right = truth(frame)
    path = where
    with Project.create(path, frame[["id", "text"]], LABELS, id_column="id", model=MultinomialNB(alpha=0.5),
                        eval_share=0, retrain_every=10_000, seed=0) as project:
        given = set()
        while len(given) < 2 or project.status()["n_answered"] < 6:
            item = project.next_item("ana")
            project.answer(item.id, right[item.id], "ana")
            given.add(right[item.id])
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == project.status()["n_answered"]
        item = project.next_item("ana")
        assert item.guess in LABELS and 0.0 <= item.uncertainty <= 1.0
    with Project.open(path) as reopened:  # the model is kept in the file
        assert isinstance(reopened.model, MultinomialNB) and reopened.model.alpha == 0.5


def test_custom_model_with_only_decision_function(where):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    model = LinearSVC(C=0.5)
    assert not hasattr(model, "predict_proba")
    with Project.create(where, frame, ["low", "high"], model=model, eval_share=0.2,
                        retrain_every=10_000, seed=1) as project:
        for _ in range(20):
            item = project.next_item("ana")
            project.answer(item.id, "high" if item.data["a"] + item.data["b"] > 0 else "low", "ana")
        project.retrain(wait=True)
        run = project.status()["runs"][-1]
        assert run["n_train"] + run["n_eval"] == 20 and run["n_eval"] > 0
        assert 0.0 <= run["eval_accuracy"] <= 1.0
        project.configure(eval_share=0)  # guesses are shown without an evaluation sample to serve
        uncertainties = []
        for _ in range(10):
            item = project.next_item("ana")
            assert not item.is_eval and item.guess in ("low", "high")
            uncertainties.append(item.uncertainty)
            project.answer(item.id, None, "ana")
        assert all(0.0 <= u <= 1.0 for u in uncertainties)
        assert uncertainties == sorted(uncertainties, reverse=True)  # most uncertain first
    assert model.__dict__.get("coef_") is None  # the user's own object is never fitted in place


def test_custom_model_in_logistic_regression_form_is_used(where, frame):
    right = truth(frame)
    with Project.create(where, frame[["id", "text"]], LABELS, id_column="id",
                        model=LogisticRegression(C=100.0), eval_share=0, retrain_every=10_000) as project:
        assert project.model.C == 100.0
        serve_all(project, "ana", lambda it: right[it.id])
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 30


def test_export_keeps_nested_values_and_unicode(where, tmp_path):
    data = tmp_path / "items.jsonl"
    data.write_text(
        '{"id": "a", "text": "café, \\"quoted\\"\\nsecond line", "tags": ["x", "y"], "meta": {"stars": 4}}\n'
        '{"id": "b", "text": "plain", "tags": [], "meta": {"stars": 1}}\n', encoding="utf-8")
    with Project.create(where, data, LABELS, id_column="id", eval_share=0) as project:
        project.answer("a", "pos", "ana")
        project.answer("b", "neg", "ana")
        project.export(tmp_path / "labels.jsonl")
        project.export(tmp_path / "labels.csv")
        (tmp_path / "out.csv").mkdir()  # a folder named like an export
        with pytest.raises(InputError, match="is a folder"):
            project.export(tmp_path / "out.csv")
    from_jsonl = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["tags"], r["meta"]) for r in from_jsonl] == [
        ('café, "quoted"\nsecond line', ["x", "y"], {"stars": 4}), ("plain", [], {"stars": 1})]
    from_csv = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    assert list(from_csv["text"]) == ['café, "quoted"\nsecond line', "plain"]
    assert [json.loads(v) for v in from_csv["tags"]] == [["x", "y"], []]  # JSON, not Python's repr
    assert [json.loads(v) for v in from_csv["meta"]] == [{"stars": 4}, {"stars": 1}]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_two_imports_at_once_without_an_id_column_lose_no_item(where):
    """Row numbers are handed out inside the import transaction, so parallel imports never collide."""
    start = pd.DataFrame({"text": [f"first {i}" for i in range(5)]})
    path = where
    Project.create(path, start, ["pos", "neg"], eval_share=0).close()
    batches = [pd.DataFrame({"text": [f"batch {b} item {i}" for i in range(50)]}) for b in range(4)]
    results: list[dict] = []

    def import_one(frame: pd.DataFrame) -> None:
        with Project.open(path) as opened:
            results.append(opened.import_items(frame))

    threads = [threading.Thread(target=import_one, args=(frame,)) for frame in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [r["added"] for r in results] == [50] * 4 and all(r["duplicates"] == 0 for r in results)
    with Project.open(path) as opened:
        assert opened.status()["n_items"] == 5 + 4 * 50


# --- issue 11: columns that may hold the answer, labels of items imported again -------------


def test_a_label_like_column_is_hidden_from_annotators_unless_shown(where, place):
    """Issue 11, defect 1: a column of label names is never displayed without being asked."""
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ["good film", "awful", "fine"],
                          "hint": ["pos", "neg", "pos"], "source": ["web", "mail", "web"]})
    with Project.create(where, frame, LABELS, id_column="id", eval_share=0) as project:
        assert project.created_import["label_like"] == ["hint"]
        assert project.shown_columns == ["text", "source"] and project.hidden_columns == ["hint"]
        item = project.next_item("ada")
        assert set(item.data) == {"text", "source"}
        assert {row["hint"] for row in project.export_rows()} <= {"pos", "neg"}  # kept in the file
    with Project.open(where) as project:  # recorded in the project
        assert set(project.next_item("ada").data) == {"text", "source"}
    with Project.create(place("shown.hilt"), frame, LABELS, id_column="id", text_column="text",
                        show_columns=["hint"]) as project:
        assert project.shown_columns == ["text", "hint"]
        assert set(project.next_item("bob").data) == {"text", "hint"}


def test_show_and_hide_columns_are_checked_and_map_the_text_column(where, place):
    """Issue 11, defect 1: --show-columns / --hide-columns name item columns (the text always shows)."""
    frame = pd.DataFrame({"review": ["good film", "awful"], "stars": [5, 1], "place": ["x", "y"]})
    with Project.create(where, frame, LABELS, text_column="review", hide_columns=["stars"]) as project:
        assert project.shown_columns == ["text", "place"]
        assert set(project.next_item("ada").data) == {"text", "place"}
    with Project.create(place("s.hilt"), frame, LABELS, text_column="review",
                        show_columns=["review", "stars"]) as project:
        assert project.shown_columns == ["text", "stars"]
    for options, message in (({"show_columns": ["nope"]}, "'nope' is not among them"),
                             ({"show_columns": ["stars"], "hide_columns": ["place"]}, "not both"),
                             ({"hide_columns": ["review"]}, "always see the text")):
        bad = place("bad.hilt")
        with pytest.raises(InputError, match=message):
            Project.create(bad, frame, LABELS, text_column="review", **options)
        assert nothing_at(bad)


def test_import_stores_labels_of_items_already_in_the_project(tmp_path, project, frame):
    """Issue 11, defect 8: labels of items already there were dropped as "duplicates skipped"."""
    item = project.next_item("ada")
    project.answer(item.id, "neg" if truth(frame)[item.id] == "pos" else "pos", "ada")  # a person's label
    more = frame.head(10).copy()
    result = project.import_items(more, label_column="sentiment")
    assert result["added"] == 0 and result["existing"] == 10 and result["repeated"] == 0
    person_in_file = item.id in set(more["id"])
    assert result["relabelled"] == 10 - person_in_file and result["label_kept"] == person_in_file
    labels = {row["item_id"]: (row["label"], row["annotator"]) for row in project.export_rows()}
    for key, label in truth(more).items():
        if key != item.id:
            assert labels[key] == (label, "import")
    assert labels[item.id][1] == "ada"  # the person's label is not overruled by the file
    again = project.import_items(more, label_column="sentiment")  # idempotent
    assert again["relabelled"] == 0 and project.status()["n_answered"] == len(labels)


def test_export_parquet_stream_empty_header_and_overwrite(tmp_path, project):
    """Issue 11, defect 10: .parquet refused, an empty export's header without the data columns,
    an existing file overwritten without a word, no way to write to a stream."""
    import io

    empty = tmp_path / "empty.csv"
    assert project.export(empty) == 0
    assert empty.read_text().strip() == "item_id,label,annotator,answered_at,answer_id,text"
    project.answer("r001", "pos", "ana")
    path = tmp_path / "labels.parquet"
    assert project.export(path) == 1
    frame = pd.read_parquet(path)
    assert frame["item_id"].tolist() == ["r001"] and frame["label"].tolist() == ["pos"]
    assert "text" in frame.columns
    with pytest.raises(InputError, match="labels.parquet exists.*--force"):
        project.export(path, overwrite=False)
    stream = io.StringIO()
    assert project.export(stream, format="csv") == 1
    assert stream.getvalue().splitlines()[1].startswith("r001,pos,ana,")
    stream = io.StringIO()
    project.export(stream)
    assert json.loads(stream.getvalue())["label"] == "pos"
    with pytest.raises(InputError, match="Parquet"):
        project.export(io.StringIO(), format="parquet")


def test_recent_answers_do_not_show_hidden_columns(where):
    """Issue 11, defect 1: the history list (recent answers) must hide label-like columns as items do."""
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["good film", "awful"], "hint": ["pos", "neg"]})
    with Project.create(where, frame, LABELS, id_column="id", eval_share=0) as project:
        item = project.next_item("ada")
        project.answer(item.id, "pos", "ada")
        assert [set(a["data"]) for a in project.recent_answers("ada")] == [{"text"}]


def test_feature_columns_are_kept_for_later_imports_and_exclude_columns_stay_in_the_data(tmp_path):
    """Issue 21, defect 1: Python arguments say which columns the model sees, for good."""
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(30)], "age": np.arange(30.0),
                          "height": np.arange(30.0) * 2, "ticket": np.arange(30.0) + 1000})
    path = tmp_path / "t.hilt"
    with Project.create(path, frame, ["low", "high"], id_column="id", exclude_columns=["ticket"],
                        features="scale") as project:
        assert project.feature_columns == ["age", "height"]
        assert "ticket" in project.next_item("ana").data  # not a feature, still shown
        more = pd.DataFrame({"id": ["r99"], "age": [5.0], "height": [10.0], "ticket": [9.0]})
        assert project.import_items(more)["added"] == 1
        assert project.feature_columns == ["age", "height"]
    with Project.create(tmp_path / "u.hilt", frame, ["low", "high"], id_column="id",
                        feature_columns=["height"], features="scale") as project:
        assert project.feature_columns == ["height"]


def test_a_file_whose_ids_repeat_makes_no_project_and_imports_nothing(tmp_path):
    """Issue 21, defect 4: a repeated id is refused unless drop_duplicate_ids=True; nothing is left behind."""
    frame = pd.DataFrame({"id": ["a", "b", "a"], "text": ["one", "two", "three"]})
    path = tmp_path / "d.hilt"
    with pytest.raises(InputError, match=r"1 row repeats the id of an earlier row .*'a' \(row 2"):
        Project.create(path, frame, LABELS, id_column="id")
    assert not path.exists()
    with Project.create(path, frame, LABELS, id_column="id", drop_duplicate_ids=True) as project:
        assert project.created_import["duplicates"] == 1
        before = project.status()["n_items"]
        with pytest.raises(InputError, match="repeat"):
            project.import_items(pd.DataFrame({"id": ["c", "c"], "text": ["x", "y"]}))
        assert project.status()["n_items"] == before == 2
