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
