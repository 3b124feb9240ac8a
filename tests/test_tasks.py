"""The task registry and the ``single`` task (hilt/tasks): names, the protocol, and today's rules
kept exactly (the final-answer rule moved here from hilt.store.consensus, which still exports it)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hilt.errors import InputError
from hilt.tasks import DEFAULT_TASK, DESCRIPTIONS, TASKS, Task, check_task, get_task
from hilt.tasks.single import final_labels

LABELS = ["pos", "neg", "meh"]


def test_the_registry_names_each_task_once_with_a_description():
    assert TASKS == ("single", "multilabel", "spans")
    assert set(DESCRIPTIONS) == set(TASKS)
    assert DEFAULT_TASK == "single" and get_task(None) is get_task("single")
    for name in TASKS:
        task = get_task(name)
        assert isinstance(task, Task) and task.name == name
    assert [get_task(n).widget for n in TASKS] == ["choice", "toggles", "spans"]
    assert [get_task(n).multilabel for n in TASKS] == [False, True, False]
    assert [get_task(n).needs_text for n in TASKS] == [False, False, True]


@pytest.mark.parametrize("bad", ["multi", "", None, 3, "Single"])
def test_an_unknown_task_is_refused_with_the_names_listed(bad):
    with pytest.raises(InputError, match=r"Expected task to be one of single, multilabel, spans; got"):
        check_task(bad)


def test_store_consensus_is_still_importable_and_is_the_single_rule():
    from hilt.store import consensus

    assert consensus.final_labels is final_labels
    from hilt.tasks import Decision

    assert consensus.Decision is Decision and consensus.ANNOTATE == "annotate" and consensus.REVIEW == "review"


def test_single_checks_encodes_and_decodes_one_label():
    task = get_task("single")
    assert task.check_answer("neg", LABELS) == "neg" and task.check_answer(None, LABELS) is None
    assert task.encode("neg", LABELS) == "neg" and task.decode("neg", LABELS) == "neg"
    assert task.decode(None, LABELS) is None
    for bad in ("Neg", ["neg"], 1):
        with pytest.raises(InputError, match=r"Expected a label from pos, neg, meh \(or None to skip\)"):
            task.check_answer(bad, LABELS)
    assert task.counted_labels("neg", LABELS) == ["neg"]
    assert task.rename("neg", "neg", "negative", LABELS) == "negative" and task.rename("pos", "neg", "x", LABELS) == "pos"


def test_single_import_and_export_values():
    task = get_task("single")
    assert task.import_value(" pos ", LABELS, separator=None, where="row 2") == "pos"
    assert task.import_value("", LABELS, separator=None, where="row 2") is None
    assert task.import_value(float("nan"), LABELS, separator=None, where="row 2") is None
    assert task.export_value("pos", format="csv", separator=";") == "pos"


def test_single_evaluation_is_the_accuracy_without_extra_figures():
    result = get_task("single").evaluate(["pos", "neg", "pos", "meh"], ["pos", "pos", "pos", "meh"], LABELS)
    assert (result.metric, result.value, result.n, result.ci, result.metrics) == ("accuracy", 0.75, 4, None, {})
    assert get_task("single").evaluate([], [], LABELS).value is None


def test_single_guesses_are_the_most_probable_label():
    import numpy as np

    guesses = get_task("single").guesses(None, np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]), LABELS)
    assert guesses == ["neg", "pos"]


# -- the single final-answer rule, as a property -----------------------------------------------

rows = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["ada", "bob", "cy", "rev"]),
                          st.sampled_from(LABELS), st.sampled_from(["annotate", "annotate", "review"])),
                max_size=25)


def _numbered(drawn):
    return [(item, order, who, label, role) for order, (item, who, label, role) in enumerate(drawn, start=1)]


@settings(max_examples=200, deadline=None)
@given(rows)
def test_single_final_label_is_the_review_else_a_majority_label_of_the_latest_votes(drawn):
    answers = _numbered(drawn)
    decided = final_labels(answers)
    for item, decision in decided.items():
        mine = [a for a in answers if a[0] == item]
        reviews = [a for a in mine if a[4] == "review"]
        latest = {}
        for a in mine:
            if a[4] != "review":
                latest[a[2]] = a  # in order: the last one per annotator wins
        votes = {}
        for a in latest.values():
            votes[a[3]] = votes.get(a[3], 0) + 1
        assert decision.votes == votes
        if reviews:
            assert decision.reviewed and decision.label == max(reviews, key=lambda a: a[1])[3]
            continue
        top = max(votes.values())
        assert votes[decision.label] == top  # a majority label
        tied = [label for label, n in votes.items() if n == top]
        first_vote = {label: min(a[1] for a in latest.values() if a[3] == label) for label in tied}
        assert decision.label == min(tied, key=first_vote.get)  # ties to the earliest vote
        assert decision.order == first_vote[decision.label]
    assert set(decided) == {a[0] for a in answers}


@settings(max_examples=100, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_single_final_labels_do_not_depend_on_the_order_rows_come_in(drawn, rng):
    answers = _numbered(drawn)
    shuffled = list(answers)
    rng.shuffle(shuffled)
    assert final_labels(shuffled) == final_labels(answers)
