"""Default pipelines and probability alignment to the full label list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC

from hilt.models import AlignedModel, default_model, detect_kind, make_featurizer

TEXTS = ["great fun film", "awful boring film", "great acting", "boring plot", "fun and great", "awful"]
SENTIMENT = ["pos", "neg", "pos", "neg", "pos", "neg"]


def test_default_text_pipeline_learns_words():
    model = default_model("text").fit(TEXTS, SENTIMENT)
    assert model.predict(["great fun", "boring awful"]).tolist() == ["pos", "neg"]


def test_default_table_pipeline_scales_then_classifies():
    X = np.array([[0.0, 1000.0], [1.0, 1000.0], [10.0, 0.0], [11.0, 0.0]])
    model = default_model("table").fit(X, [0, 0, 1, 1])
    assert model.named_steps["features"].name == "scale"
    assert model.predict([[0.5, 1000.0], [10.5, 0.0]]).tolist() == [0, 1]


def test_unseen_label_gets_probability_zero_not_a_shifted_column():
    model = AlignedModel(LogisticRegression(), labels=["a", "b", "c"])
    model.fit(np.array([[0.0], [0.1], [5.0], [5.1]]), ["a", "a", "c", "c"])
    probs = model.predict_proba(np.array([[5.0], [0.0]]))
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probs[:, 1], [0.0, 0.0])  # "b" never seen
    assert probs[0, 2] > 0.5 and probs[1, 0] > 0.5  # "c" and "a" in their own columns
    assert model.predict(np.array([[5.0]])).tolist() == ["c"]


def test_label_order_follows_the_project_not_the_estimator():
    model = AlignedModel(LogisticRegression(), labels=["z", "a"])
    model.fit(np.array([[0.0], [1.0], [5.0], [6.0]]), ["z", "z", "a", "a"])
    probs = model.predict_proba(np.array([[0.0]]))
    assert probs[0, 0] > probs[0, 1]  # column 0 is "z", although classes_ sorts "a" first


def test_decision_function_only_classifier_is_wrapped_through_softmax():
    X = np.array([[0.0], [0.2], [3.0], [3.2], [6.0], [6.2]])
    model = AlignedModel(LinearSVC(), labels=[0, 1, 2]).fit(X, [0, 0, 1, 1, 2, 2])
    probs = model.predict_proba(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    binary = AlignedModel(LinearSVC(), labels=["n", "y"]).fit(X[:4], ["n", "n", "y", "y"])
    p = binary.predict_proba(np.array([[0.0], [3.2]]))
    assert p[0, 0] > 0.5 and p[1, 1] > 0.5


def test_any_predict_proba_classifier_works():
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    model = AlignedModel(GaussianNB(), labels=[1, 2]).fit(X, [1, 1, 2, 2])
    assert model.predict_proba(X).shape == (4, 2)


def test_new_label_after_warm_start_refits_cleanly():
    model = AlignedModel(default_model("table"), labels=[0, 1, 2])
    X = np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.1]])
    model.fit(X[:4], [0, 0, 1, 1])
    model.fit(X, [0, 0, 1, 1, 2, 2])  # a third class appears: coef_ changes shape
    assert model.predict(np.array([[9.0]])).tolist() == [2]


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: AlignedModel(object(), labels=["a", "b"]), "predict_proba or decision_function"),
        (lambda: AlignedModel(LogisticRegression(), labels=["a"]), "at least 2 labels"),
        (lambda: AlignedModel(LogisticRegression(), labels=["a", "a"]), "distinct labels"),
        (lambda: AlignedModel(LogisticRegression(), ["a", "b"]).fit([[0], [1]], ["a", "x"]), "unknown"),
        (lambda: AlignedModel(LogisticRegression(), ["a", "b"]).fit([[0], [1]], ["a", "a"]), "two different"),
        (lambda: AlignedModel(LogisticRegression(), ["a", "b"]).predict_proba([[0]]), "not fitted"),
        (lambda: make_featurizer("audio"), "'text' or 'table'"),
        (lambda: detect_kind([{"a": 1}]), "neither"),
    ],
)
def test_bad_model_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_detect_kind():
    assert detect_kind(TEXTS) == "text"
    assert detect_kind(np.array(TEXTS, dtype=object)) == "text"
    assert detect_kind(pd.DataFrame({"a": [1.0], "b": [2]})) == "table"
    assert detect_kind(np.zeros((3, 2))) == "table"
    with pytest.raises(ValueError, match="non-numeric columns"):
        detect_kind(pd.DataFrame({"a": [1.0], "b": ["x"]}))
