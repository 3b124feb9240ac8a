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


# -- multi-label ---------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.datasets import make_multilabel_classification  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from hilt.features.blocks import FeatureBlocks  # noqa: E402
from hilt.models import MultiLabelModel, default_classifier, label_indicator  # noqa: E402

LABELS = ["a", "b", "c", "d"]


def _multilabel_data(n=120, seed=0):
    X, Y = make_multilabel_classification(n_samples=n, n_features=8, n_classes=4, n_labels=2,
                                          random_state=seed)
    answers = [[LABELS[j] for j in np.flatnonzero(row)] for row in Y]
    return X.astype(np.float64), Y, answers


def test_the_flags_say_which_kind_of_probabilities_a_model_gives():
    assert AlignedModel.multilabel is False and MultiLabelModel.multilabel is True
    assert AlignedModel.can_fit(["a", "b"]) and not AlignedModel.can_fit(["a", "a"])
    assert MultiLabelModel.can_fit([["a"], []]) and not MultiLabelModel.can_fit([["a", "b"], ("b", "a")])


def test_one_vs_rest_equals_one_logistic_regression_per_label():
    X, Y, answers = _multilabel_data()
    model = MultiLabelModel(LogisticRegression(), LABELS).fit(X, answers)
    probs = model.predict_proba(X)
    assert probs.shape == (120, 4) and probs.dtype == np.float64
    for j in range(4):
        expected = LogisticRegression().fit(X, Y[:, j]).predict_proba(X)[:, 1]
        np.testing.assert_allclose(probs[:, j], expected, atol=1e-10)
    assert not np.allclose(probs.sum(axis=1), 1.0)  # independent per label
    assert model.estimator is not model.estimators_[0]  # the user's object is never fitted


def test_predict_gives_each_items_set_in_label_order():
    model = MultiLabelModel(LogisticRegression(C=100.0), ["z", "a", "m"])
    X = np.array([[0.0], [0.2], [9.0], [9.2]])
    model.fit(X, [["a", "z"], ("z", "a"), {"m"}, ["m"]])
    assert model.predict(np.array([[0.0], [9.0]])) == [("z", "a"), ("m",)]


def test_a_constant_label_gets_a_constant_probability_then_is_learnt_when_it_varies():
    X = np.array([[0.0], [1.0], [9.0], [10.0]])
    model = MultiLabelModel(default_classifier(), ["always", "never", "split"])
    model.fit(X, [["always"], ["always"], ["always", "split"], ["always", "split"]])
    probs = model.predict_proba(np.array([[0.0], [10.0]]))
    np.testing.assert_array_equal(probs[:, 0], [1.0, 1.0])
    np.testing.assert_array_equal(probs[:, 1], [0.0, 0.0])
    assert probs[0, 2] < 0.5 < probs[1, 2]
    assert model.estimators_[0] is None and model.estimators_[1] is None
    model.fit(X, [["always"], [], ["never", "split"], ["never", "split"]])  # now they vary
    probs = model.predict_proba(np.array([[0.0], [10.0]]))
    assert 0.0 < probs[0, 0] < 1.0 and probs[1, 1] > probs[0, 1]


def test_refits_keep_each_labels_copy_for_warm_starts_and_renew_them_for_new_columns():
    X, _, answers = _multilabel_data()
    model = MultiLabelModel(default_classifier(), LABELS).fit(X[:60], answers[:60])
    first = list(model.estimators_)
    model.fit(X, answers)
    assert all(a is b for a, b in zip(first, model.estimators_))  # warm_start continues from coef_
    wider = np.column_stack([X, X[:, :1]])
    model.fit(wider, answers)  # new feature columns: coef_ changes shape, so start afresh
    assert all(a is not b for a, b in zip(first, model.estimators_))
    assert model.predict_proba(wider).shape == (120, 4)


@pytest.mark.parametrize("estimator", [
    RandomForestClassifier(n_estimators=10, random_state=0),  # predict_proba: a list of arrays
    KNeighborsClassifier(n_neighbors=3),
    MultiOutputClassifier(LogisticRegression()),
    ClassifierChain(LogisticRegression(), random_state=0),  # one (n, m) array
    OneVsRestClassifier(LogisticRegression()),
], ids=lambda e: type(e).__name__)
def test_multi_output_estimators_fit_once_with_a_constant_label_beside(estimator):
    X, Y, answers = _multilabel_data()
    answers = [a + ["d"] if "d" not in a else a for a in answers]  # "d" on every item
    model = MultiLabelModel(estimator, LABELS).fit(X, answers)
    assert model.native
    probs = model.predict_proba(X[:30])
    assert probs.shape == (30, 4) and probs.dtype == np.float64
    np.testing.assert_array_equal(probs[:, 3], 1.0)
    assert ((probs >= 0) & (probs <= 1)).all()
    truth = Y[:30, :3].astype(bool)
    assert ((probs[:, :3] >= 0.5) == truth).mean() > 0.7  # it learnt the labels it saw vary


def test_a_multi_output_estimator_with_one_varying_label():
    X = np.array([[0.0], [1.0], [9.0], [10.0]])
    model = MultiLabelModel(RandomForestClassifier(n_estimators=5, random_state=0), ["a", "b"])
    probs = model.fit(X, [["a"], ["a"], ["a", "b"], ["a", "b"]]).predict_proba(X)
    np.testing.assert_array_equal(probs, [[1, 0], [1, 0], [1, 1], [1, 1]])


def test_decision_function_only_estimator_goes_through_the_logistic_function():
    X, _, answers = _multilabel_data()
    model = MultiLabelModel(LinearSVC(), LABELS).fit(X, answers)
    from scipy.special import expit

    expected = expit(model.estimators_[1].decision_function(X[:5]))
    np.testing.assert_allclose(model.predict_proba(X[:5])[:, 1], expected)


def test_feature_blocks_give_the_same_probabilities_as_the_joined_matrix():
    X, _, answers = _multilabel_data()
    blocks = FeatureBlocks([sparse.csr_matrix(X[:, :5]), X[:, 5:].astype(np.float32)])
    joined = blocks.tocsr()
    # stacked X @ W (logistic), a joined chunk per label (LinearSVC), one multi-output forest
    for estimator in (LogisticRegression(), LinearSVC(), RandomForestClassifier(n_estimators=5, random_state=0)):
        model = MultiLabelModel(estimator, LABELS).fit(blocks, answers)
        np.testing.assert_allclose(model.predict_proba(blocks), model.predict_proba(joined), atol=1e-6)


def test_a_text_pipeline_is_fitted_per_label_on_raw_texts():
    texts = ["great fun film", "awful boring film", "great acting", "boring plot", "fun and great", "awful"]
    tags = [["pos", "fun"], ["neg"], ["pos"], ["neg"], ["pos", "fun"], ["neg"]]
    model = MultiLabelModel(default_model("text", features="tfidf"), ["pos", "neg", "fun"]).fit(texts, tags)
    assert model.predict(["great fun"]) == [("pos", "fun")]


@pytest.mark.parametrize(
    "answers,message",
    [
        (["a", "b"], "list of labels"),
        ([None, ["a"]], "list of labels"),
        ([["a"], ["x"]], "unknown"),
        ([["a", "a"], []], "at most once"),
        ([["a"], ["a"]], "some items have and others lack"),
        ([["a"]], "one answer per item"),
    ],
)
def test_bad_multilabel_answers(answers, message):
    with pytest.raises(ValueError, match=message):
        MultiLabelModel(LogisticRegression(), ["a", "b"]).fit([[0.0], [1.0]], answers)


def test_bad_multilabel_model_input():
    with pytest.raises(ValueError, match="predict_proba or decision_function"):
        MultiLabelModel(object(), ["a", "b"])
    with pytest.raises(ValueError, match="distinct labels"):
        MultiLabelModel(LogisticRegression(), ["a", "a"])
    with pytest.raises(ValueError, match="not fitted"):
        MultiLabelModel(LogisticRegression(), ["a", "b"]).predict_proba([[0.0]])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sets(st.sampled_from(LABELS)), min_size=4, max_size=12), st.randoms(use_true_random=False))
def test_probabilities_lie_in_0_1_and_an_answers_order_does_not_matter(sets, rnd):
    if len({frozenset(s) for s in sets}) < 2:
        sets[0] = set() if sets[0] else {"a"}
    X = np.arange(len(sets), dtype=np.float64).reshape(-1, 1)
    forward = [sorted(s) for s in sets]
    shuffled = [rnd.sample(sorted(s), len(s)) for s in sets]
    probs = MultiLabelModel(LogisticRegression(), LABELS).fit(X, forward).predict_proba(X)
    assert ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(
        MultiLabelModel(LogisticRegression(), LABELS).fit(X, shuffled).predict_proba(X), probs)
    np.testing.assert_array_equal(label_indicator(forward, LABELS), label_indicator(shuffled, LABELS))
