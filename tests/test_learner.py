"""The in-memory active-learning loop."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.naive_bayes import GaussianNB

from hilt.learner import STRATEGIES, ActiveLearner
from hilt.sampling import rank


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_cold_start_serves_random_items_until_two_labels_exist(iris):
    X, y = iris
    learner = ActiveLearner(X, labels=[0, 1, 2], strategy="margin", random_state=0)
    assert learner.is_cold
    first = learner.query(3)
    assert len(set(first.tolist())) == 3
    learner.teach([0], [0])  # one label: still cold
    assert learner.is_cold
    learner.teach([60], [1])  # two different labels: a model exists
    assert not learner.is_cold


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_query_never_repeats_labelled_items_or_within_a_batch(iris, strategy):
    X, y = iris
    learner = ActiveLearner(X, labels=[0, 1, 2], strategy=strategy, random_state=1)
    seen: set[int] = set()
    while learner.n_labelled < len(y):
        batch = learner.query(16)
        assert len(batch) == len(set(batch.tolist())), "an item twice in one batch"
        assert not (set(batch.tolist()) & seen), "an item already labelled"
        seen.update(batch.tolist())
        learner.teach(batch, y[batch])
    assert learner.query(5).size == 0  # nothing left


def test_uncertainty_query_equals_rank_over_the_unlabelled(iris):
    X, y = iris
    learner = ActiveLearner(X, labels=[0, 1, 2], strategy="entropy", random_state=0)
    learner.teach([0, 50, 100], [0, 1, 2])
    remaining = learner.unlabelled_indices()
    expected = remaining[rank(learner.predict_proba()[remaining], 7, "entropy")]
    np.testing.assert_array_equal(learner.query(7), expected)


def test_active_learning_beats_random_on_digits():
    X, y = load_digits(return_X_y=True)
    scores = {}
    for strategy in ("random", "margin"):
        learner = ActiveLearner(X, labels=list(range(10)), strategy=strategy, random_state=0)
        while learner.n_labelled < 150:
            picked = learner.query(10)
            learner.teach(picked, y[picked])
        scores[strategy] = learner.accuracy(X, y)
    assert scores["margin"] > scores["random"]


def test_custom_model_is_cloned_not_fitted_in_place(iris):
    X, y = iris
    mine = GaussianNB()
    learner = ActiveLearner(X, labels=[0, 1, 2], model=mine, random_state=0)
    learner.teach([0, 50, 100], [0, 1, 2])
    assert not hasattr(mine, "classes_")
    assert learner.predict_proba().shape == (150, 3)


def test_text_pool():
    texts = ["good", "bad", "very good", "very bad", "good good", "bad bad"]
    learner = ActiveLearner(texts, labels=["pos", "neg"], strategy="least", random_state=0)
    learner.teach([0, 1], ["pos", "neg"])
    assert learner.kind == "text"
    assert set(learner.query(4).tolist()) <= {2, 3, 4, 5}
    assert learner.accuracy(["good", "bad"], ["pos", "neg"]) == 1.0


def test_teach_again_replaces_the_label(iris):
    X, _ = iris
    learner = ActiveLearner(X, labels=[0, 1, 2], random_state=0)
    learner.teach([0, 1], [0, 1])
    learner.teach([1], [2])
    assert learner.n_labelled == 2


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda L: L.query(0), "whole number >= 1"),
        (lambda L: L.teach([1, 2], [0]), "one label per index"),
        (lambda L: L.teach([999], [0]), "pool positions in 0..149"),
        (lambda L: L.teach([3, 3], [0, 0]), "at most once"),
        (lambda L: L.teach([3], ["setosa"]), "got 'setosa' for pool position 3"),
        (lambda L: L.accuracy([[0, 0, 0, 0]], [0]), "cold"),
    ],
)
def test_bad_learner_input(iris, call, message):
    learner = ActiveLearner(iris[0], labels=[0, 1, 2], random_state=0)
    with pytest.raises(ValueError, match=message):
        call(learner)


def test_bad_constructor_input(iris):
    with pytest.raises(ValueError, match="strategy to be one of random, least, margin, ratio, entropy"):
        ActiveLearner(iris[0], labels=[0, 1, 2], strategy="smallest")
    with pytest.raises(ValueError, match="empty pool"):
        ActiveLearner(np.zeros((0, 3)), labels=[0, 1])


# -- several labels per item ------------------------------------------------------------------
from sklearn.datasets import make_multilabel_classification  # noqa: E402

from hilt.errors import InputError  # noqa: E402
from hilt.models import MultiLabelModel  # noqa: E402
from hilt.sampling import multilabel_rank  # noqa: E402
from hilt.strategies import MULTILABEL_STRATEGIES  # noqa: E402

TAGS = ["t0", "t1", "t2", "t3", "t4"]


@pytest.fixture(scope="module")
def tagged():
    X, Y = make_multilabel_classification(n_samples=600, n_features=20, n_classes=5, n_labels=2,
                                          random_state=0)
    sets = [tuple(TAGS[j] for j in np.flatnonzero(row)) for row in Y]
    return X.astype(np.float64), sets


def test_a_multilabel_learner_is_cold_until_two_different_sets(tagged):
    X, sets = tagged
    learner = ActiveLearner(X, labels=TAGS, task="multilabel", strategy="margin:max", random_state=0)
    assert learner.is_cold and isinstance(learner.model, MultiLabelModel) and learner.metric == "micro-F1"
    learner.teach([0, 1], [["t0", "t1"], ("t1", "t0")])  # the same set twice (any order): still cold
    assert learner.is_cold
    learner.teach([2], [[]])  # "none of these" is an answer, and a different set
    assert not learner.is_cold
    assert learner.predict_proba().shape == (600, 5)


def test_multilabel_uncertainty_query_equals_multilabel_rank_over_the_unlabelled(tagged):
    X, sets = tagged
    learner = ActiveLearner(X, labels=TAGS, task="multilabel", strategy="entropy:max", random_state=0)
    learner.teach(np.arange(30), sets[:30])
    remaining = learner.unlabelled_indices()
    expected = remaining[multilabel_rank(learner.predict_proba()[remaining], 7, "entropy", "max")]
    np.testing.assert_array_equal(learner.query(7), expected)


@pytest.mark.parametrize("strategy", ["random", "margin", "committee", "outlier", *MULTILABEL_STRATEGIES,
                                      "margin:max+diverse:8/random:1/outlier:1"])
def test_every_multilabel_strategy_runs_through_the_learner(tagged, strategy):
    X, sets = tagged
    learner = ActiveLearner(X[:150], labels=TAGS, task="multilabel", strategy=strategy, random_state=1)
    seen: set[int] = set()
    while learner.n_labelled < 60:
        batch = learner.query(10)
        assert len(batch) == len(set(batch.tolist())) and not set(batch.tolist()) & seen
        seen.update(batch.tolist())
        learner.teach(batch, [sets[i] for i in batch])
    assert not learner.is_cold


def test_micro_f1_subset_accuracy_and_score_by_hand():
    X = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]] * 10)
    truth = [[], ["a"], ["b"], ["a", "b"]] * 10
    learner = ActiveLearner(X, labels=["a", "b"], task="multilabel", random_state=0)
    learner.teach(np.arange(40), truth)
    assert learner.model.predict(learner.transform(X[:4])) == [(), ("a",), ("b",), ("a", "b")]
    assert learner.micro_f1(X[:4], truth[:4]) == 1.0 and learner.score(X[:4], truth[:4]) == 1.0
    # Against other truths: [a] for the first item (FN 1), [] for the last (FN... FP 2)
    wrong = [["a"], ["a"], ["b"], []]
    # TP: a on item 2, b on item 3 = 2; FP: a and b on item 4 = 2; FN: a on item 1 = 1 -> 2*2 / (4 + 2 + 1)
    assert learner.micro_f1(X[:4], wrong) == pytest.approx(4 / 7)
    assert learner.accuracy(X[:4], wrong) == 0.5  # items 2 and 3 exactly right
    assert learner.micro_f1(X[:1], [[]]) == 1.0  # nothing predicted, nothing true


def test_multilabel_learning_beats_random_in_micro_f1(tagged):
    X, sets = tagged
    test = slice(400, 600)
    figures = {}
    for strategy in ("random", "margin"):
        learner = ActiveLearner(X[:400], labels=TAGS, task="multilabel", strategy=strategy, random_state=0)
        learner.teach(np.arange(10), sets[:10])
        while learner.n_labelled < 80:
            picked = learner.query(10)
            learner.teach(picked, [sets[i] for i in picked])
        figures[strategy] = learner.score(X[test], sets[test])
    assert figures["margin"] > 0.5 and figures["random"] > 0.4  # both learn; no claim on which wins here


def test_texts_with_several_tags():
    texts = ["great fun film", "awful boring film", "great acting", "boring plot", "fun and great", "awful"] * 4
    tags = [["pos", "fun"], ["neg"], ["pos"], ["neg"], ["pos", "fun"], ["neg"]] * 4
    learner = ActiveLearner(texts, labels=["pos", "neg", "fun"], task="multilabel", features="tfidf", random_state=0)
    learner.teach(np.arange(12), tags[:12])
    assert learner.micro_f1(["great fun", "boring awful"], [["pos", "fun"], ["neg"]]) == 1.0


@pytest.mark.parametrize("call, message", [
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multi"), "task to be one of single, multilabel"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], strategy="margin:max"), "task 'single'"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").teach([0], ["a"]), "list of labels"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").teach([0], [None]), "list of labels"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").teach([0], [["c"]]), "unknown"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").teach([0], [["a", "a"]]), "a label twice"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").teach([0, 1], [["a"]]), "one label per"),
    (lambda X: ActiveLearner(X, labels=["a", "b"]).micro_f1(X, ["a"]), "multilabel learner"),
    (lambda X: ActiveLearner(X, labels=["a", "b"], task="multilabel").score(X, [["a"]]), "cold"),
])
def test_bad_multilabel_input(call, message):
    with pytest.raises(InputError, match=message):
        call(np.zeros((4, 2)))
