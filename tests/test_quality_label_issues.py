"""Likely label errors: hand-computed confident learning, properties, out-of-fold honesty, and
recall on real data with one annotator's labels partly flipped."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from hilt.errors import InputError
from hilt.features import get_featurizer
from hilt.features.blocks import FeatureBlocks
from hilt.models import default_classifier
from hilt.quality import confident_joint, confident_thresholds, find_label_issues, out_of_fold_probabilities
from hilt.simulate.data import load_data

# --------------------------------------------------------------------------- worked by hand

# Five items labelled 0, two labelled 1.
LABELS = np.array([0, 0, 0, 0, 0, 1, 1])
PROBS = np.array([
    [0.9, 0.1],  # 0: confidently 0
    [0.8, 0.2],  # 1: confidently 0
    [0.1, 0.9],  # 2: labelled 0, confidently 1
    [0.5, 0.5],  # 3: under both thresholds
    [0.5, 0.5],  # 4: under both thresholds
    [0.2, 0.8],  # 5: confidently 1
    [0.3, 0.7],  # 6: under both thresholds
])
# t0 = (0.9 + 0.8 + 0.1 + 0.5 + 0.5) / 5 = 2.8 / 5 = 0.56
# t1 = (0.8 + 0.7) / 2 = 0.75
THRESHOLDS = [0.56, 0.75]
# Counted: row 0 (label 0): items 0, 1 in column 0, item 2 in column 1; row 1: item 5 in column 1.
RAW_JOINT = [[2, 1], [0, 1]]
# Calibrated: row 0 scaled to its 5 items: [2, 1] * 5/3 = [3.33, 1.67] -> [3, 2] (the larger
# fraction rounds up, the row keeps 5); row 1 scaled to 2 items: [0, 1] * 2 = [0, 2]. Total 7.
CALIBRATED_JOINT = [[3, 2], [0, 2]]


def test_thresholds_are_the_mean_probability_of_each_label():
    np.testing.assert_allclose(confident_thresholds(LABELS, PROBS), THRESHOLDS)


def test_a_class_nobody_chose_gets_an_unreachable_threshold():
    # t0 = (0.6 + 0.8) / 2 = 0.7; t1 = 0.9; class 2 has no item: 2.0.
    got = confident_thresholds([0, 0, 1], [[0.6, 0.2, 0.2], [0.8, 0.1, 0.1], [0.05, 0.9, 0.05]])
    np.testing.assert_allclose(got, [0.7, 0.9, 2.0])


def test_confident_joint_raw_and_calibrated():
    assert confident_joint(LABELS, PROBS, calibrate=False).tolist() == RAW_JOINT
    calibrated = confident_joint(LABELS, PROBS)
    assert calibrated.tolist() == CALIBRATED_JOINT
    assert calibrated.sum(axis=1).tolist() == np.bincount(LABELS).tolist()


def test_confident_joint_counts_each_item_once_or_not_at_all():
    labels = [0, 0, 1, 1, 2, 2]
    probs = [
        [0.9, 0.05, 0.05],  # reaches t0 only: (0, 0)
        [0.2, 0.0, 0.8],    # reaches t2 only: (0, 2)
        [0.1, 0.8, 0.1],    # (1, 1)
        [0.55, 0.4, 0.05],  # reaches t0 (0.55) only: (1, 0)
        [0.1, 0.1, 0.8],    # (2, 2)
        [0.0, 0.65, 0.35],  # reaches t1 (0.6) only: (2, 1)
    ]
    # t0 = (0.9 + 0.2) / 2 = 0.55, t1 = (0.8 + 0.4) / 2 = 0.6, t2 = (0.8 + 0.35) / 2 = 0.575.
    assert confident_joint(labels, probs, calibrate=False).tolist() == [[1, 0, 1], [1, 1, 0], [0, 1, 1]]


def test_confident_joint_takes_the_most_probable_of_several_and_keeps_the_diagonal():
    # t0 = (0.2 + 0.4) / 2 = 0.3, t1 = (0.7 + 0.5) / 2 = 0.6.
    labels = [0, 0, 1, 1]
    probs = [[0.2, 0.8], [0.4, 0.6], [0.3, 0.7], [0.5, 0.5]]
    # item 0: t1 only -> (0, 1); item 1: both (0.4 >= 0.3, 0.6 >= 0.6), most probable 1 -> (0, 1);
    # item 2: both, most probable 1 -> (1, 1); item 3: t0 only -> (1, 0).
    # Row 0 has no item on its diagonal: the cell is raised to 1.
    assert confident_joint(labels, probs, calibrate=False).tolist() == [[1, 2], [1, 1]]


def test_find_label_issues_by_hand():
    # The calibrated joint says 2 items labelled 0 belong to 1: the two largest margins p1 - p0
    # among label 0 are item 2 (0.8) and items 3 and 4 (0.0, tied, both taken). Items 3 and 4
    # still have their own label as (equally) most probable, so only item 2 is an issue.
    indices, scores, suggested = find_label_issues(LABELS, PROBS)
    assert indices.tolist() == [2]
    assert scores.tolist() == pytest.approx([0.9])
    assert suggested.tolist() == [1]
    assert indices.dtype == np.int64 and scores.dtype == np.float64 and suggested.dtype == np.int64


def test_issues_come_most_likely_wrong_first_and_limit_keeps_the_first():
    labels = np.array([0] * 6 + [1] * 6)
    probs = np.array([[0.9, 0.1]] * 4 + [[0.3, 0.7], [0.05, 0.95]] + [[0.1, 0.9]] * 4 + [[0.75, 0.25], [0.99, 0.01]])
    # t0 = (3.6 + 0.3 + 0.05) / 6 = 0.658, t1 = (3.6 + 0.25 + 0.01) / 6 = 0.643: items 4 and 5
    # (label 0) reach t1, items 10 and 11 (label 1) reach t0; joint [[4, 2], [2, 4]].
    indices, scores, suggested = find_label_issues(labels, probs)
    assert indices.tolist() == [11, 5, 10, 4]
    assert scores.tolist() == pytest.approx([0.99, 0.95, 0.75, 0.7])
    assert suggested.tolist() == [0, 1, 0, 1]
    assert find_label_issues(labels, probs, limit=2)[0].tolist() == [11, 5]
    assert find_label_issues(labels, probs, limit=0)[0].tolist() == []


def test_the_suggestion_falls_back_to_the_most_probable_other_class():
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    probs = np.array([
        [0.1, 0.9, 0.0],    # 0: reaches t1 = 0.9: (0, 1)
        [0.1, 0.4, 0.5],    # 1: reaches no threshold
        [0.9, 0.05, 0.05],  # 2: (0, 0)
        [0.3, 0.35, 0.35],  # 3: reaches no threshold (t0 = 0.35)
        [0.0, 1.0, 0.0], [0.2, 0.8, 0.0],
        [0.0, 0.0, 1.0], [0.0, 0.1, 0.9],
    ])
    # Row 0 of the joint, [1, 1, 0], calibrated to its 4 items: [2, 2, 0]. The 2 largest
    # margins p1 - p0 among label 0: item 0 (0.8) and item 1 (0.3). Item 1 is over no
    # threshold, so its suggestion is its most probable other class: 2.
    indices, scores, suggested = find_label_issues(labels, probs)
    assert indices.tolist() == [0, 1]
    assert scores.tolist() == pytest.approx([0.9, 0.9])
    assert suggested.tolist() == [1, 2]


@pytest.mark.parametrize("labels,probs,message", [
    ([0, 1], [0.5, 0.5], "Expected probs of shape"),
    ([0, 1], [[0.5, 0.5]], "one row of probs per label"),
    ([0, 2], [[0.5, 0.5], [0.5, 0.5]], "label codes in 0 .. 1"),
    ([[0, 1]], [[0.5, 0.5]], "1D array"),
    (["a", "b"], [[0.5, 0.5], [0.5, 0.5]], "integer class codes"),
    ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], "finite and non-negative"),
])
def test_bad_input_says_what_was_expected(labels, probs, message):
    with pytest.raises(InputError, match=message):
        find_label_issues(labels, probs)


def test_bad_limit():
    with pytest.raises(InputError, match="limit"):
        find_label_issues(LABELS, PROBS, limit=-1)


# --------------------------------------------------------------------------- properties


@st.composite
def labelled_probs(draw):
    n_classes = draw(st.integers(2, 5))
    n = draw(st.integers(2, 40))
    labels = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    # Coarse weights make ties (equal rows, equal margins) common, the hard case for order.
    weights = np.array(draw(st.lists(st.lists(st.integers(0, 4), min_size=n_classes, max_size=n_classes),
                                     min_size=n, max_size=n)), dtype=np.float64) + 0.01
    return labels, weights / weights.sum(axis=1, keepdims=True)


@settings(max_examples=300, deadline=None)
@given(labelled_probs(), st.one_of(st.none(), st.integers(0, 50)))
def test_scores_indices_and_suggestions_are_valid(case, limit):
    labels, probs = case
    indices, scores, suggested = find_label_issues(labels, probs, limit=limit)
    assert indices.shape == scores.shape == suggested.shape
    assert len(set(indices.tolist())) == indices.shape[0]
    assert ((indices >= 0) & (indices < labels.shape[0])).all()
    assert ((scores >= 0) & (scores <= 1)).all()
    assert (np.diff(scores) <= 0).all()  # most likely wrong first
    np.testing.assert_allclose(scores, 1 - probs[indices, labels[indices]])
    assert (suggested != labels[indices]).all()
    assert ((suggested >= 0) & (suggested < probs.shape[1])).all()
    if limit is not None:
        assert indices.shape[0] <= limit
    # Never an item whose own label is (co-)most probable.
    assert (probs[indices].max(axis=1) > probs[indices, labels[indices]]).all()


@settings(max_examples=300, deadline=None)
@given(labelled_probs(), st.randoms(use_true_random=False))
def test_which_items_are_flagged_does_not_depend_on_their_order(case, random):
    labels, probs = case
    order = np.array(random.sample(range(labels.shape[0]), labels.shape[0]))
    flagged = set(find_label_issues(labels, probs)[0].tolist())
    shuffled = find_label_issues(labels[order], probs[order])[0]
    assert {int(order[i]) for i in shuffled} == flagged


# --------------------------------------------------------------------------- out of fold


def two_clusters(n_per_class: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-2, 0.5, (n_per_class, 2)), rng.normal(2, 0.5, (n_per_class, 2))])
    return X, np.repeat([0, 1], n_per_class)


def test_out_of_fold_rows_sum_to_one_with_a_column_per_class():
    X, y = two_clusters()
    probs = out_of_fold_probabilities(default_classifier, X, y, n_classes=3)
    assert probs.shape == (60, 3) and probs.dtype == np.float64
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert (probs[:, 2] == 0).all()  # nobody chose class 2
    assert (probs.argmax(axis=1) == y).all()


def test_out_of_fold_never_uses_the_items_own_label():
    # One nearest neighbour remembers every training item: in-sample, each item's own label
    # gets probability 1, a wrong one included; out of fold, the wrong label gets 0.
    X, y = two_clusters()
    y = y.copy()
    y[3] = 1  # deep in cluster 0
    in_sample = KNeighborsClassifier(1).fit(X, y).predict_proba(X)
    assert in_sample[3, 1] == 1.0
    probs = out_of_fold_probabilities(lambda: KNeighborsClassifier(1), X, y)
    assert probs[3, 1] == 0.0
    assert 3 in find_label_issues(y, probs)[0]


def test_a_duplicate_with_a_conflicting_label_gets_little_probability_for_it():
    X, y = two_clusters()
    X = np.vstack([X, X[5]])  # the same point as item 5 (class 0), labelled 1
    y = np.append(y, 1)
    probs = out_of_fold_probabilities(default_classifier, X, y)
    assert probs[60, 1] < 0.2 and probs[5, 0] > 0.8
    issues, _, suggested = find_label_issues(y, probs)
    assert issues.tolist() == [60] and suggested.tolist() == [0]


def test_a_class_of_one_gets_predictions_from_a_model_without_it():
    X, y = two_clusters(10)
    X = np.vstack([X, [[0.0, 5.0]]])
    y = np.append(y, 2)
    probs = out_of_fold_probabilities(default_classifier, X, y)
    assert probs.shape == (21, 3)
    assert probs[20, 2] == 0.0  # its fold's model never saw class 2
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_a_fold_with_a_single_training_class_predicts_it():
    # Two items of two classes: each is predicted by a "model" that saw only the other one.
    probs = out_of_fold_probabilities(default_classifier, np.array([[0.0], [1.0]]), [0, 1])
    assert probs.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_feature_blocks_sparse_and_dense_give_the_same_probabilities():
    X, y = two_clusters()
    blocks = FeatureBlocks([sp.csr_matrix(X[:, :1]), X[:, 1:].astype(np.float32)])
    from_blocks = out_of_fold_probabilities(default_classifier, blocks, y)
    from_csr = out_of_fold_probabilities(default_classifier, blocks.tocsr(), y)
    from_dense = out_of_fold_probabilities(default_classifier, X.astype(np.float32), y)
    np.testing.assert_allclose(from_blocks, from_csr)
    np.testing.assert_allclose(from_blocks, from_dense, atol=1e-5)


def test_a_model_with_only_a_decision_function_works_too():
    X, y = two_clusters()
    probs = out_of_fold_probabilities(LinearSVC, X, y, folds=3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert (probs.argmax(axis=1) == y).all()


def test_the_folds_are_reproducible():
    X, y = two_clusters()
    y = y.copy()
    y[:5] = 1
    first = out_of_fold_probabilities(LogisticRegression, X, y, random_state=3)
    np.testing.assert_array_equal(first, out_of_fold_probabilities(LogisticRegression, X, y, random_state=3))


@pytest.mark.parametrize("kwargs,y,message", [
    ({"folds": 1}, [0, 1] * 5, "folds"),
    ({}, [0] * 10, "at least two classes"),
    ({"n_classes": 2}, [0, 1, 2] * 3 + [0], "label codes in 0 .. 1"),
    ({}, [0, 1] * 4, "one row of X per label"),
])
def test_out_of_fold_bad_input(kwargs, y, message):
    X = np.zeros((10, 2))
    with pytest.raises(InputError, match=message):
        out_of_fold_probabilities(LogisticRegression, X, y, **kwargs)


# --------------------------------------------------------------------------- recall on real data

#: Share of the flipped annotator's labels that are flipped.
FLIP_SHARE = 0.15


def flip_one_annotator(y: np.ndarray, n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three annotators label a third of the items each; 15 % of the first one's labels are
    changed to a random other class. Returns the noisy labels and the flipped positions."""
    rng = np.random.default_rng(seed)
    annotator = rng.permutation(y.shape[0]) % 3
    theirs = np.flatnonzero(annotator == 0)
    flipped = rng.choice(theirs, int(round(FLIP_SHARE * theirs.shape[0])), replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, n_classes, flipped.shape[0])) % n_classes
    return noisy, flipped


def recall_on(name: str, features: str) -> float:
    """Share of the flipped labels among the first (as many as were flipped) issues found."""
    data = load_data(name)
    code = {label: j for j, label in enumerate(data.labels)}
    y = np.array([code[v] for v in data.y], dtype=np.int64)
    featurizer = get_featurizer(features, data.kind)
    X = featurizer.fit_matrix(data.items)
    noisy, flipped = flip_one_annotator(y, len(data.labels))
    probs = out_of_fold_probabilities(lambda: default_classifier(C=featurizer.classifier_C), X, noisy,
                                      n_classes=len(data.labels))
    found = find_label_issues(noisy, probs, limit=flipped.shape[0])[0]
    return float(np.isin(found, flipped).sum() / flipped.shape[0])


# Measured (seed 0): digits 0.82, breast_cancer 0.86; over 5 seeds see bench/results/label_issues.md.
@pytest.mark.parametrize("name", ["digits", "breast_cancer"])
def test_recall_on_tables(name):
    assert recall_on(name, "scale") >= 0.6


def test_recall_on_movie_reviews():
    # Measured (seed 0): 0.29. Not 0.6: out of fold the model itself is right about only 73 %
    # of these reviews, so the 5 % flipped labels hide among its own 27 % mistakes (even
    # searching only the flipping annotator's third would find 0.44-0.50 of them, see
    # bench/results/label_issues.md). Asserted: several times what chance finds (0.05).
    assert recall_on("movie_reviews", "tfidf+embeddings") >= 0.2
