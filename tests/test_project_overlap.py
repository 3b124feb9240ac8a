"""Overlap and review (issue 13): a share of items goes to several different people, never twice
to one; the final label of an item with several answers; review decisions; honest intervals.

The math of agreement and label issues is tested in test_quality_*.py; the faces (CLI, web
review page) in test_cli_quality.py and test_web_review.py.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from hilt import Project
from hilt.errors import ForbiddenError, InputError, NotFoundError
from hilt.project.status import eval_interval
from hilt.quality.intervals import wilson_interval
from hilt.store.consensus import final_labels

LABELS = ["pos", "neg"]


def texts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"t{i:03d}" for i in range(n)],
                         "text": [f"item number {i} {'good' if i % 2 else 'bad'}" for i in range(n)]})


def make(tmp_path, n=40, **kwargs) -> Project:
    options = {"eval_share": 0.0, "seed": 1, "features": "tfidf", "overlap": 0.5, "annotators_per_item": 2,
               "retrain_every": 10_000, "id_column": "id"}
    options.update(kwargs)
    return Project.create(tmp_path / "p.hilt", texts(n), LABELS, **options)


def needed(project: Project) -> dict[str, int]:
    with project._store._engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT key, needed FROM items").all())


def answered(project: Project) -> dict[str, int]:
    """items.answered: the count of people with a current label, kept for overlapped items."""
    with project._store._engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT key, answered FROM items").all())


def label_all(project: Project, annotators: list[str], label=lambda a, item: "pos") -> dict[str, list[str]]:
    """Each annotator in turn takes and answers items until nobody is served anything."""
    given: dict[str, list[str]] = defaultdict(list)
    active = list(annotators)
    while active:
        for name in list(active):
            item = project.next_item(name)
            if item is None:
                active.remove(name)
                continue
            given[item.id].append(name)
            project.answer(item.id, label(name, item), name)
    return given


# -- overlap: who is served what ----------------------------------------------------------
def test_overlapped_items_go_to_that_many_different_people_and_the_rest_once(tmp_path):
    with make(tmp_path, n=60, overlap=0.4, annotators_per_item=3) as project:
        wanted = needed(project)
        assert set(wanted.values()) == {1, 3}
        assert 0.2 < sum(v == 3 for v in wanted.values()) / len(wanted) < 0.6  # ~40 % of 60
        given = label_all(project, ["ada", "bob", "cy", "dee"])
        for key, names in given.items():
            assert len(names) == len(set(names)), f"{key} was served twice to one person: {names}"
            assert len(names) == wanted[key], (key, names, wanted[key])
        assert set(given) == set(wanted)  # every item labelled
        status = project.status()
        assert status["n_answered"] == 60 and status["n_left"] == 0
        assert status["agreement"]["items"] == sum(v == 3 for v in wanted.values())


def test_one_annotator_labels_every_item_once_and_overlapped_items_wait_for_a_second_person(tmp_path):
    with make(tmp_path, n=20) as project:
        given = label_all(project, ["ada"])
        assert sorted(given) == sorted(needed(project)) and all(v == ["ada"] for v in given.values())
        assert project.next_item("ada") is None
        # the overlapped ones are served to the next person, and only those
        second = label_all(project, ["bob"])
        assert sorted(second) == sorted(k for k, v in needed(project).items() if v == 2)


def test_an_item_someone_started_is_served_before_the_ranking(tmp_path):
    with make(tmp_path, n=30) as project:
        first = project.next_item("ada")
        while needed(project)[first.id] != 2:  # walk to an overlapped item
            project.answer(first.id, "pos", "ada")
            first = project.next_item("ada")
        project.answer(first.id, "neg", "ada")
        assert project.peek_items("cy", 1)[0].id == first.id  # the preview agrees with the claim
        assert project.next_item("bob").id == first.id
        assert project.peek_items("cy", 1)[0].id != first.id  # bob's lease fills the second place


def test_two_people_may_hold_an_overlapped_item_at_once_but_never_a_third(tmp_path):
    with make(tmp_path, n=1, overlap=1.0) as project:
        a, b = project.next_item("ada"), project.next_item("bob")
        assert a.id == b.id == "t000"
        assert project.next_item("cy") is None  # two leases already cover the two wanted
        project.answer(a.id, "pos", "ada")
        assert project.next_item("cy") is None  # one answer + bob's lease
        assert project.next_item("ada") is None  # never twice to ada


def test_undo_on_an_overlapped_item_hands_it_back_while_there_is_room(tmp_path):
    with make(tmp_path, n=1, overlap=1.0) as project:
        item = project.next_item("ada")
        project.answer(item.id, "pos", "ada")
        assert project.next_item("bob").id == item.id  # bob holds the second place
        assert answered(project)[item.id] == 1
        back = project.undo("ada")
        assert back is not None and back.id == item.id  # ada's place is free again: she has it back
        assert answered(project)[item.id] == 0  # the count that finds started items follows undo
        assert project._store.leases() == {item.id: "ada, bob"}
        project.answer(item.id, "neg", "ada")
        project.answer(item.id, "neg", "bob")
        assert project.next_item("cy") is None and project.status()["by_label"] == {"neg": 1}
        assert answered(project)[item.id] == 2
        project.change_answer(item.id, "pos", "bob")  # a change retracts and adds: still two people
        assert answered(project)[item.id] == 2


def test_threads_never_overfill_an_overlapped_item(tmp_path):
    with make(tmp_path, n=30, overlap=0.5, annotators_per_item=2) as project:
        served: list[tuple[str, str]] = []
        lock = threading.Lock()

        def work(name: str) -> None:
            while (item := project.next_item(name)) is not None:
                with lock:
                    served.append((item.id, name))
                project.answer(item.id, "pos", name)

        threads = [threading.Thread(target=work, args=(f"ann{i}",)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        per_item = Counter(key for key, _ in served)
        assert len(set(served)) == len(served)  # never twice to one person
        assert per_item == Counter(needed(project))  # exactly as many as wanted, no more


def test_eval_items_may_be_overlapped_and_keep_their_guess_hidden(tmp_path):
    with make(tmp_path, n=40, eval_share=0.5, overlap=1.0) as project:
        seen = defaultdict(list)
        for _ in range(10):
            for name in ("ada", "bob"):
                item = project.next_item(name)
                seen[item.id].append(item.is_eval)
                project.answer(item.id, "pos", name)
        assert any(all(flags) and len(flags) == 2 for flags in seen.values())
        assert project.status()["n_eval"] >= 1


def test_later_imports_overlap_the_same_share(tmp_path):
    with make(tmp_path, n=10, overlap=1.0) as project:
        project.import_items(pd.DataFrame({"id": ["new1", "new2"], "text": ["more", "again"]}))
        assert needed(project)["new1"] == needed(project)["new2"] == 2


def test_without_overlap_serving_is_as_before(tmp_path):
    with make(tmp_path, n=5, overlap=0.0) as project:
        assert set(needed(project).values()) == {1}
        given = label_all(project, ["ada", "bob"])
        assert all(len(v) == 1 for v in given.values()) and len(given) == 5
        assert project.status()["agreement"] == {"items": 0, "alpha": None, "by_annotator": {}, "pairs": {}}


@pytest.mark.parametrize("overlap, per_item, expected", [
    (-0.1, 2, "overlap to be a number >= 0.0 and <= 1.0; got -0.1"),
    (1.5, 2, "overlap to be a number >= 0.0 and <= 1.0; got 1.5"),
    (float("nan"), 2, "overlap to be a number"),
    ("half", 2, "overlap to be a number"),
    (0.2, 1, "annotators_per_item of at least 2 with overlap 0.2"),
    (0.2, 2.5, "annotators_per_item to be a whole number"),
])
def test_bad_overlap_settings_are_refused_and_nothing_is_created(tmp_path, overlap, per_item, expected):
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        make(tmp_path, overlap=overlap, annotators_per_item=per_item)
    assert not (tmp_path / "p.hilt").exists()


# -- the final label ----------------------------------------------------------------------
def test_final_label_majority_then_earliest_then_review(tmp_path):
    with make(tmp_path, n=4, overlap=1.0, annotators_per_item=3) as project:
        project.answer("t000", "pos", "ada")
        project.answer("t000", "neg", "bob")
        assert project.status()["by_label"] == {"pos": 1}  # a tie: the earlier answer
        project.answer("t000", "neg", "cy")
        assert project.status()["by_label"] == {"neg": 1}  # two against one
        project.answer("t000", "pos", "bob")  # bob changes his mind: his latest counts, once
        assert project.status()["by_label"] == {"pos": 1}
        project.add_annotator("rev", reviewer=True)
        assert project.review("t000", "neg", "rev")["label"] == "neg"  # a review settles it
        assert project.status()["by_label"] == {"neg": 1}
        rows = project.export_rows()
        assert [(r["item_id"], r["label"], r["annotator"]) for r in rows] == [("t000", "neg", "rev")]
        every = project.export_rows(include_retracted=True)
        assert [(r["annotator"], r["label"], r["role"]) for r in every] == [
            ("ada", "pos", "annotate"), ("bob", "neg", "annotate"), ("cy", "neg", "annotate"),
            ("bob", "pos", "annotate"), ("rev", "neg", "review")]


def test_training_uses_the_final_labels(tmp_path):
    with make(tmp_path, n=4, overlap=1.0, annotators_per_item=3) as project:
        for name, label in (("ada", "pos"), ("bob", "neg"), ("cy", "neg")):
            project.answer("t000", label, name)
        project.answer("t001", "pos", "ada")
        store = project._store
        keys = store.item_keys()
        assert {keys[r]: label for r, label in store.current_labels(is_eval=False).items()} == {
            "t000": "neg", "t001": "pos"}


rows_strategy = st.lists(
    st.tuples(st.integers(0, 4), st.sampled_from(["ada", "bob", "cy", "dee"]), st.sampled_from("xyz"),
              st.sampled_from(["annotate", "annotate", "annotate", "review"])),
    max_size=30)


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.randoms())
def test_final_labels_do_not_depend_on_row_order_and_follow_the_rule(rows, rnd):
    answers = [(item, order, who, label, role) for order, (item, who, label, role) in enumerate(rows)]
    shuffled = list(answers)
    rnd.shuffle(shuffled)
    decided = final_labels(answers)
    assert decided == final_labels(shuffled)
    for item in {a[0] for a in answers}:
        mine = [a for a in answers if a[0] == item]
        reviews = [a for a in mine if a[4] == "review"]
        if reviews:
            assert decided[item].label == max(reviews, key=lambda a: a[1])[3] and decided[item].reviewed
            continue
        latest = {}
        for _, order, who, label, _ in sorted(mine, key=lambda a: a[1]):
            latest[who] = (order, label)
        votes = Counter(label for _, label in latest.values())
        top = max(votes.values())
        winners = [label for label, n in votes.items() if n == top]
        earliest = min(winners, key=lambda label: min(o for o, lb in latest.values() if lb == label))
        assert decided[item].label == earliest and decided[item].votes == dict(votes)


# -- review -------------------------------------------------------------------------------
def test_review_is_for_reviewers_and_bad_decisions_change_nothing(tmp_path):
    with make(tmp_path, n=4, overlap=1.0) as project:
        project.answer("t000", "pos", "ada")
        project.answer("t000", "neg", "bob")
        project.add_annotator("ann")
        project.add_annotator("rev", reviewer=True)
        before = project.export_rows(include_retracted=True)
        with pytest.raises(ForbiddenError, match="Expected a reviewer; 'ann' is not one"):
            project.review("t000", "neg", "ann")
        with pytest.raises(ForbiddenError):
            project.review_items("ann")
        with pytest.raises(ForbiddenError):
            project.review("t000", "neg", "stranger")
        with pytest.raises(InputError, match="Expected a label from pos, neg"):
            project.review("t000", "maybe", "rev")
        with pytest.raises(InputError, match="Expected a review decision"):
            project.review("t000", None, "rev")
        with pytest.raises(NotFoundError):
            project.review("nope", "pos", "rev")
        assert project.export_rows(include_retracted=True) == before
        assert project.is_reviewer("rev") and not project.is_reviewer("ann")
        assert [(a["name"], a["role"]) for a in project.annotator_list()] == [
            ("ada", "no token"), ("ann", "annotator"), ("bob", "no token"), ("rev", "reviewer")]


def test_review_items_lists_disagreements_with_every_answer_then_likely_errors(tmp_path):
    with make(tmp_path, n=4, overlap=1.0) as project:
        project.add_annotator("rev", reviewer=True)
        project.answer("t001", "pos", "ada")
        project.answer("t001", "pos", "bob")  # agreement: nothing to review
        project.answer("t000", "pos", "ada")
        project.answer("t000", "neg", "bob")
        listed = project.review_items("rev", include_issues=False)
        assert [(r["item_id"], r["reason"], r["label"]) for r in listed] == [("t000", "disagreement", "pos")]
        assert [(a["annotator"], a["label"], a["role"]) for a in listed[0]["answers"]] == [
            ("ada", "pos", "annotate"), ("bob", "neg", "annotate")]
        assert listed[0]["data"] == {"text": "item number 0 bad"}
        reply = project.review("t000", "neg", "rev", answer_id="r-1")
        assert reply == {"saved": True, "answer_id": "r-1", "duplicate": False, "label": "neg"}
        assert project.review("t000", "neg", "rev", answer_id="r-1")["duplicate"] is True
        assert project.review_items("rev", include_issues=False) == []  # settled


def test_a_reviewers_undo_does_not_retract_their_review(tmp_path):
    with make(tmp_path, n=4, overlap=1.0) as project:
        project.add_annotator("rev", reviewer=True)
        project.answer("t000", "pos", "ada")
        project.review("t000", "neg", "rev")
        assert project.undo("rev") is None  # undo is for labelling answers
        assert project.status()["by_label"] == {"neg": 1}


# -- honest intervals ---------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2000), st.data())
def test_wilson_interval_matches_scipy(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low == pytest.approx(reference.low, abs=1e-12) and high == pytest.approx(reference.high, abs=1e-12)
    assert 0 <= low <= k / n <= high <= 1


def test_wilson_interval_by_hand_and_bad_input():
    # 3 of 4: p = .75, z^2 = 3.8415; centre (0.75 + 0.4802) / 1.9604 = 0.6275, half-width 0.3269
    low, high = wilson_interval(3, 4)
    assert (round(low, 4), round(high, 4)) == (0.3006, 0.9544)
    assert wilson_interval(0, 0) is None and eval_interval(None, 0) is None
    for bad in ((5, 4), (-1, 4), (1, -1)):
        with pytest.raises(ValueError, match="Expected 0 <= successes <= n"):
            wilson_interval(*bad)


def test_runs_carry_their_evaluation_interval(tmp_path):
    with make(tmp_path, n=60, overlap=0.0, eval_share=0.3, retrain_every=10) as project:
        truth = {f"t{i:03d}": "pos" if i % 2 else "neg" for i in range(60)}
        for _ in range(40):
            item = project.next_item("ada")
            project.answer(item.id, truth[item.id], "ada")
        project.retrain(wait=True)
        run = project.status()["runs"][-1]
        assert run["n_eval"] > 0
        low, high = run["eval_ci"]
        assert low <= run["eval_accuracy"] <= high
        assert [low, high] == pytest.approx(list(wilson_interval(round(run["eval_accuracy"] * run["n_eval"]),
                                                                 run["n_eval"])))


def test_two_project_objects_on_one_file_share_the_count_that_starts_a_retrain(tmp_path):
    """Several servers over one project: each one's labels count toward retrain_every."""
    make(tmp_path, n=40, overlap=0.0, retrain_every=4).close()
    with Project.open(tmp_path / "p.hilt") as one, Project.open(tmp_path / "p.hilt") as two:
        for i in range(3):
            item = one.next_item("ada")
            one.answer(item.id, "pos", "ada")
        assert one._since_retrain == 3
        item = two.next_item("bob")
        two.answer(item.id, "neg", "bob")  # the fourth label of the project, the first of `two`
        assert two._since_retrain == 0  # due: the count was handed to its worker and reset
        deadline = time.time() + 60
        while not two.status()["runs"] and time.time() < deadline:
            time.sleep(0.1)
        assert two.status()["runs"][-1]["n_train"] == 4
