"""Search, similar items and bulk labelling: the store's index on both backends (``where``), the
project's rules (what is kept out, the group of a bulk labelling, retraining), hostile queries."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hilt import Project
from hilt.errors import ConflictError, HiltError, InputError, NotFoundError
from hilt.project.search import kept_out
from hilt.store import Store

META = {"labels": ["pos", "neg"], "kind": "text"}

HOSTILE = ['"', '""', "'", "*", "film*", "NEAR", "NEAR(film acting)", "film OR", "OR OR", "(", ")", "((film",
           "film)", "-film", "^film", "film:*", "text:film", "'; DROP TABLE items; --", "1=1 OR 'a'='a'",
           "\\", "%", "_", "film AND NOT", "{film}", "film & | !", "\x00", "ﬁlm", "films\u0301", "a" * 300]


def reviews(n: int = 40) -> pd.DataFrame:
    words = ["film", "movie", "acting", "plot", "music", "soup"]
    return pd.DataFrame({"id": [f"r{i}" for i in range(n)],
                         "text": [f"{words[i % 6]} number{i} {'great' if i % 2 else 'awful'} item" for i in range(n)]})


def make_store(where, n: int = 40, eval_share: float = 0.0) -> Store:
    store = Store.create(where, META)
    frame = reviews(n)
    store.add_items(list(frame["id"]), [{"text": t} for t in frame["text"]], eval_share=eval_share, seed=1)
    return store


def nothing_hidden(key: str) -> bool:
    return False


# -- the store, on both backends ------------------------------------------------------------
def test_store_search_finds_every_word_stems_and_pages(where):
    store = make_store(where)
    try:
        rows, more = store.search("FILMS great", ["text"], hidden=nothing_hidden, limit=100)
        assert sorted(r.key for r in rows) == sorted(f"r{i}" for i in range(40) if i % 6 == 0 and i % 2)
        assert not more
        first, more = store.search("item", ["text"], hidden=nothing_hidden, limit=15)
        second, more2 = store.search("item", ["text"], hidden=nothing_hidden, offset=15, limit=100)
        assert more and not more2 and len(first) == 15 and len(second) == 25
        assert {r.key for r in first}.isdisjoint(r.key for r in second)
        prefix, _ = store.search("numb*", ["text"], hidden=nothing_hidden, limit=100)
        assert len(prefix) == 40
        assert store.search("number7", ["text"], hidden=nothing_hidden)[0][0].key == "r7"
    finally:
        store.close()


def test_store_index_catches_up_after_an_import_and_rebuilds_for_other_columns(where, monkeypatch):
    import hilt.store.search

    monkeypatch.setattr(hilt.store.search, "_CHUNK", 3)  # built three items per transaction
    store = make_store(where, n=10)
    try:
        assert len(store.search("item", ["text"], hidden=nothing_hidden, limit=100)[0]) == 10
        assert store.search("zebra", ["text"], hidden=nothing_hidden)[0] == []
        assert store.search_index_state() == {"columns": ["text"], "top": 10}
        store.add_items(["z1"], [{"text": "a zebra", "note": "striped"}], eval_share=0.0)
        assert [r.key for r in store.search("zebra", ["text"], hidden=nothing_hidden)[0]] == ["z1"]
        assert store.search("striped", ["text"], hidden=nothing_hidden)[0] == []
        # Another set of shown columns: the index is built again over them.
        assert [r.key for r in store.search("striped", ["text", "note"], hidden=nothing_hidden)[0]] == ["z1"]
        assert store.search_index_state()["columns"] == ["text", "note"]
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_store_hostile_queries_are_words_or_a_clear_error(where):
    store = make_store(where, n=12)
    try:
        for query in HOSTILE:
            try:
                rows, _ = store.search(query, ["text"], hidden=nothing_hidden, limit=50)
            except InputError as error:  # only "no word" / "too many words", never a database error
                assert "Expected a search query" in str(error)
            else:
                assert all(r.key.startswith("r") for r in rows)
        assert len(store.search("'; DROP TABLE items; --", ["text"], hidden=nothing_hidden)[0]) == 0
        assert store.n_items() == 12  # nothing was run
    finally:
        store.close()


def test_store_search_never_returns_evaluation_or_hidden_items(where):
    store = make_store(where, n=40, eval_share=0.3)
    try:
        eval_keys = {r[0] for r in store._engine.connect().exec_driver_sql(
            "SELECT key FROM items WHERE is_eval = 1").all()}
        assert eval_keys
        rows, _ = store.search("item", ["text"], hidden=lambda key: key == "r1", limit=100)
        keys = {r.key for r in rows}
        assert keys == {f"r{i}" for i in range(40)} - eval_keys - {"r1"}
    finally:
        store.close()


def test_store_batch_is_one_transaction_and_retracts_as_a_group(where):
    store = make_store(where, n=10, eval_share=0.0)
    try:
        with pytest.raises(NotFoundError, match="name no item.*'nope'.*Nothing was stored"):
            store.record_batch(["r1", "nope"], "pos", "ada", "b1", hidden=nothing_hidden)
        with pytest.raises(InputError, match="kept out of search.*'r2'.*Nothing was stored"):
            store.record_batch(["r1", "r2"], "pos", "ada", "b1", hidden=lambda key: key == "r2")
        assert store.current_labels() == {}
        result = store.record_batch(["r1", "r2", "r1"], "pos", "ada", "b1", hidden=nothing_hidden)
        assert result["stored"] == 2 and result["duplicates"] == 0
        assert store.record_batch(["r1", "r2"], "pos", "ada", "b1", hidden=nothing_hidden)["stored"] == 0
        with pytest.raises(ConflictError):  # the same group again with another label
            store.record_batch(["r1", "r2"], "neg", "ada", "b1", hidden=nothing_hidden)
        rows = store.answer_rows(include_retracted=True)
        assert [(r["item_id"], r["batch"]) for r in rows] == [("r1", "b1"), ("r2", "b1")]
        assert store.retract_batch("ada", "b1") == 2
        assert store.retract_batch("ada", "b1") == 0
        with pytest.raises(NotFoundError, match="no group|there is none"):
            store.retract_batch("bob", "b1")
        assert store.current_labels() == {}
        assert all(r["retracted"] for r in store.answer_rows(include_retracted=True))
    finally:
        store.close()


# -- the project -----------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "p.hilt", reviews(60), ["pos", "neg"], id_column="id", eval_share=0.2,
                        features="tfidf", seed=3, retrain_every=5) as project:
        yield project


def eval_ids(project: Project) -> set[str]:
    return {r.key for r in project._store.item_rows(range(1, 61)) if r.is_eval}


def test_search_and_similar_leave_out_the_evaluation_sample_and_an_equal_share(project):
    evals = eval_ids(project)
    hashed = {f"r{i}" for i in range(60)} - evals
    hashed = {key for key in hashed if kept_out(key, False, 0.2)}
    assert evals and hashed  # both kinds are kept out, in about equal numbers
    assert 0.4 < len(hashed) / (len(evals) * 0.8) < 2.5
    found = {item.id for item in project.search("item", limit=100).found}
    assert found == {f"r{i}" for i in range(60)} - evals - hashed
    assert all(not item.is_eval for item in project.search("item", limit=100).found)
    some = project.search("item", limit=100).found[0].id
    near = project.similar(some, k=100)
    assert some not in {item.id for item in near.found}
    assert {item.id for item in near.found} <= found
    assert near.scores == sorted(near.scores, reverse=True) and all(0 < s <= 1 for s in near.scores)
    # The items that share most of its words come first: the same first word and the same verdict.
    words = project.search("item", limit=100).found[0].data["text"].split()
    top = near.found[0].data["text"].split()
    assert (top[0], top[2]) == (words[0], words[2])


def test_label_many_refuses_kept_out_items_like_any_other_without_telling_which(project):
    evals = sorted(eval_ids(project))
    hashed = sorted(k for k in (f"r{i}" for i in range(60)) if k not in evals and kept_out(k, False, 0.2))
    open_ = [item.id for item in project.search("item", limit=3).found]
    messages = set()
    for kept in (evals[0], hashed[0]):
        with pytest.raises(InputError) as error:
            project.label_many([*open_, kept], "pos", "ada")
        messages.add(str(error.value).replace(repr(kept), "ID"))
    assert len(messages) == 1  # the same words for an evaluation item and another kept-out item
    assert project.status()["n_answered"] == 0


def test_label_many_stores_a_group_counts_toward_retraining_and_undoes(project):
    ids = [item.id for item in project.search("film", limit=100).found]
    assert len(ids) >= 3
    asked = []
    project._training.worker.request = lambda: asked.append(1)  # a retrain would be started here
    reply = project.label_many(ids, "pos", "ada", batch_id="g1")
    assert reply.to_dict() == {"saved": True, "batch": "g1", "n_labelled": len(ids), "n_stored": len(ids),
                               "duplicate": False}
    assert asked  # the group passed retrain_every (5)
    assert project.label_many(ids, "pos", "ada", batch_id="g1").duplicate
    assert project.status()["by_annotator"] == {"ada": len(ids)}
    exported = project.export_rows(include_retracted=True)
    assert {row["batch"] for row in exported} == {"g1"}
    assert project.undo_batch("ada", "g1").n_retracted == len(ids)
    assert project.status()["n_answered"] == 0
    assert all(row["retracted"] for row in project.export_rows(include_retracted=True))
    with pytest.raises(NotFoundError):
        project.undo_batch("ada", "no-such-group")


@pytest.mark.parametrize("call, message", [
    (lambda p: p.label_many([], "pos", "ada"), "1 to 10000 item ids"),
    (lambda p: p.label_many("r1", "pos", "ada"), "list of item ids"),
    (lambda p: p.label_many(["r1"], "meh", "ada"), "meh"),
    (lambda p: p.label_many(["r1"], None, "ada"), "Expected a label"),
    (lambda p: p.label_many(["r1"], "pos", "ada", batch_id=""), "batch_id"),
    (lambda p: p.search("item", limit=0), "limit"),
    (lambda p: p.search("item", offset=-1), "offset"),
    (lambda p: p.search("   "), "at least one word"),
    (lambda p: p.similar("r1", k=0), "k"),
    (lambda p: p.similar("nope"), "nope"),
])
def test_bad_requests_are_hilt_errors(project, call, message):
    with pytest.raises(HiltError, match=message):
        call(project)


def test_table_projects_search_shown_columns_only(tmp_path):
    frame = pd.DataFrame({"size": [1, 2, 3, 3], "width": [10, 20, 33, 40]})
    with Project.create(tmp_path / "t.hilt", frame, ["pos", "neg"], eval_share=0, features="scale",
                        hide_columns=["width"]) as project:
        assert sorted(item.data["size"] for item in project.search("3").found) == [3, 3]
        assert project.search("33").found == []  # the hidden column is not searched


def test_multilabel_takes_a_set_and_spans_are_refused(tmp_path):
    frame = reviews(12)
    with Project.create(tmp_path / "m.hilt", frame, ["a", "b", "c"], id_column="id", eval_share=0,
                        features="tfidf", task="multilabel") as project:
        reply = project.label_many(["r0", "r6"], ["b", "a"], "ada")
        assert reply.n_stored == 2
        assert {row["label"] if isinstance(row["label"], str) else json.dumps(row["label"])
                for row in project.export_rows()} == {json.dumps(["a", "b"])}
    with Project.create(tmp_path / "s.hilt", frame, ["PER"], id_column="id", eval_share=0,
                        features="tfidf", task="spans") as project:
        with pytest.raises(InputError, match="spans.*one at a time"):
            project.label_many(["r0"], [], "ada")


def test_store_ranks_the_first_matches_and_lists_the_rest_in_import_order(where, monkeypatch):
    import hilt.store.search

    monkeypatch.setattr(hilt.store.search, "RANKED", 5)
    store = Store.create(where, META)
    texts = [("film " * (1 + (i % 3))).strip() + f" n{i}" for i in range(14)]
    store.add_items([f"k{i}" for i in range(14)], [{"text": t} for t in texts], eval_share=0.0)
    try:
        everything, more = store.search("film", ["text"], hidden=nothing_hidden, limit=100)
        keys = [r.key for r in everything]
        assert not more and sorted(keys) == sorted(f"k{i}" for i in range(14))  # every match, once
        assert set(keys[:5]) == {f"k{i}" for i in range(5)}  # the first five, ranked...
        assert keys[0] in ("k2",)  # ...the one with "film" three times first
        assert keys[5:] == [f"k{i}" for i in range(5, 14)]  # then the rest in import order
        paged = [r.key for o in range(0, 14, 4)
                 for r in store.search("film", ["text"], hidden=nothing_hidden, offset=o, limit=4)[0]]
        assert paged == keys
    finally:
        store.close()

