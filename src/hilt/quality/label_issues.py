"""Likely label errors: confident learning over out-of-fold probabilities.

Two steps. :func:`out_of_fold_probabilities` gives every labelled item a predicted probability
from a copy of the model that never saw that item's label (stratified K folds). Then
:func:`find_label_issues` applies confident learning (Northcutt, Jiang & Chuang, "Confident
Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021), the method of cleanlab's
``find_label_issues(filter_by="prune_by_noise_rate")`` ranked by ``"self_confidence"``:

1. per-class thresholds ``t_j``: the mean probability of class ``j`` over the items labelled
   ``j`` (:func:`confident_thresholds`);
2. the confident joint ``C[i, j]``: items labelled ``i`` whose probability of ``j`` reaches
   ``t_j`` (the most probable such ``j`` when several do), calibrated so that each row sums to
   the count of label ``i`` and the whole to the number of items (:func:`confident_joint`);
3. for each off-diagonal cell, the ``C[i, j]`` items labelled ``i`` with the largest margin
   ``p_j - p_i`` are flagged; a flagged item whose own label is still the most probable is let go.

Flagged items come out most likely wrong first: by ``1 - p(given label)``.

Choices, measured with ``.venv/bin/python bench/bench_label_issues.py --multiclass`` (results
in ``bench/results/label_issues.md``; 2 cores shared with other work, load average 2.6). Data:
three annotators label a third of the items each and 15 % of one annotator's labels are
changed to another class (5 % of all labels); recall = share of the flipped items among the
first (as many as were flipped) issues, mean of 5 seeds.

* **Our few lines, not cleanlab's call.** On the same out-of-fold probabilities both find the
  same items (breast_cancer and movie reviews: identical in 5 of 5 seeds; digits: an item or two
  apart, where equal calibrated counts round differently) with the same recall: digits 0.840
  against 0.838, breast_cancer 0.850 and 0.850, movie reviews 0.300 and 0.300. Ours takes
  0.3-1.4 ms a call there (3-9 ms at 20,000 items), cleanlab's 49-65 ms (it starts a process
  pool), and ``import cleanlab.filter`` alone takes 1.4 s; hilt would use one function of it.
  cleanlab stays in the ``bench`` extra to compare against.
* **5 folds, each model fitted from scratch.** Honest for any model: no fold's model has seen
  its items' labels in any form. Warm-starting each fold's logistic regression from a fit on all
  labels was no faster overall (that fit costs what a fold costs): 20,000 labelled texts, 2
  classes: 1.40 s against 1.56 s; 8 classes: 31 s against 37 s; same recall. 3 folds save 40 %
  of the time and lose 2-3 points of recall (digits 0.813, movie reviews 0.277).
* **One BLAS / OpenMP thread** during the fits: with the libraries' default (2 threads here)
  the same 5 folds took 9.7 s instead of 1.6 s (texts, 2 classes), 18 s instead of 0.8 s
  (table, 10 classes), 155 s instead of 37 s (texts, 8 classes) on the busy machine.
* **Within the 5 s budget** for agreement + label issues at 20,000 labelled answers of a
  100,000-item project: texts (``tfidf+embeddings``, 2 classes) 1.6 s, a 10-class table
  (``scale``, 64 columns) 0.8 s. **Not** for texts of many classes: 8 classes, 20,000 labelled
  tweets take 37 s (one fit of the default classifier there takes about 9 s). The caller may
  pass a ``make_model`` with a looser solver tolerance: ``tol=1e-3`` 16 s, recall 0.553 against
  0.557; ``tol=1e-2`` 4.6 s, recall 0.461.
* **Recall is the model's.** Digits and breast cancer: about 0.85. Movie reviews: 0.30, not
  more, because the model itself is right about only 73 % of them out of fold: the flipped 5 %
  hide among its own 27 % mistakes (searching only the flipping annotator's third would find
  0.47).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from hilt.errors import InputError

__all__ = [
    "confident_joint",
    "confident_thresholds",
    "find_label_issues",
    "out_of_fold_probabilities",
]

#: Slack when a probability is compared with a threshold or with the given label's (cleanlab's).
_SLACK = 1e-6


def out_of_fold_probabilities(
    make_model: Callable[[], Any],
    X: Any,
    y: Any,
    *,
    n_classes: int | None = None,
    folds: int = 5,
    random_state: int | None = 0,
) -> np.ndarray:
    """Predicted probabilities of each labelled item from a model that did not see its label.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a fresh, unfitted scikit-learn classifier (with
        ``predict_proba`` or ``decision_function``).
    X : array-like, scipy sparse matrix or :class:`hilt.features.FeatureBlocks`
        Features of the labelled items, one row per entry of ``y``.
    y : array-like of int
        Label codes ``0 .. n_classes - 1``.
    n_classes : int, optional
        Number of classes (columns of the result); default ``max(y) + 1``.
    folds : int, default 5
        Stratified folds (fewer if no class has that many members).
    random_state : int or None, default 0
        Seed of the fold assignment.

    Returns
    -------
    numpy.ndarray of shape (n_items, n_classes), float64, rows summing to 1. A class absent
    from a fold's training labels gets probability 0 in that fold's rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.quality.label_issues import out_of_fold_probabilities
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> probs = out_of_fold_probabilities(LogisticRegression, X, [0, 0, 0, 1, 1, 1], folds=3)
    >>> probs.shape, bool(np.allclose(probs.sum(axis=1), 1.0))
    ((6, 2), True)
    """
    from sklearn.model_selection import KFold, StratifiedKFold
    from threadpoolctl import threadpool_limits

    from hilt.features.blocks import FeatureBlocks
    from hilt.models import AlignedModel

    codes = _check_codes(y, n_classes)
    k = int(codes.max()) + 1 if n_classes is None else int(n_classes)
    n = codes.shape[0]
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise InputError(f"Expected folds to be a whole number >= 2; got {folds!r}.")
    rows = X.shape[0] if hasattr(X, "shape") else len(X)
    if rows != n:
        raise InputError(f"Expected one row of X per label ({n} rows); got {rows}.")
    counts = np.bincount(codes, minlength=k)
    if np.count_nonzero(counts) < 2:
        raise InputError(f"Expected labels of at least two classes; got only class {int(codes[0])}.")
    if isinstance(X, FeatureBlocks):
        X = X.tocsr()  # joined once here, not once per fold
    elif not hasattr(X, "shape"):
        X = np.asarray(X)
    n_splits = min(int(folds), int(counts.max()))
    if n_splits >= 2:
        # A class with fewer members than folds is spread one member per fold, so each of its
        # members is still predicted by a model that saw the others: scikit-learn's warning about
        # it is expected here, and fewer folds would only shrink every other class's training.
        splitter: Any = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    else:  # every class has a single member: nothing to stratify
        splitter = KFold(min(int(folds), n), shuffle=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(splitter.split(np.zeros((n, 1)), codes))
    probs = np.zeros((n, k), dtype=np.float64)
    # One BLAS / OpenMP thread: on a busy 2-core machine a multinomial fit ran 2-10 times
    # slower with two threads fighting other processes than with one (module docstring).
    with threadpool_limits(limits=1):
        for train, test in splits:
            seen = np.unique(codes[train])
            if seen.size == 1:  # nothing to fit on one class; a model would predict it anyway
                probs[test, seen[0]] = 1.0
                continue
            model = AlignedModel(make_model(), labels=range(k))
            model.fit(X[train], codes[train])
            probs[test] = model.predict_proba(X[test])
    # Float32 features can leave rows a rounding error away from 1.
    probs /= probs.sum(axis=1, keepdims=True)
    return probs


def confident_thresholds(labels: Any, probs: Any) -> np.ndarray:
    """Per-class thresholds: the mean probability of class ``j`` over the items labelled ``j``.

    A class no item is labelled with gets 2, a threshold no probability reaches.

    Parameters
    ----------
    labels : array-like of int, shape (n_items,)
        Given label codes ``0 .. n_classes - 1``.
    probs : array-like, shape (n_items, n_classes)
        Predicted probabilities (out-of-fold).

    Returns
    -------
    numpy.ndarray of shape (n_classes,), float64.

    Examples
    --------
    >>> from hilt.quality.label_issues import confident_thresholds
    >>> confident_thresholds([0, 0, 1], [[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]).tolist()
    [0.7, 0.8]
    """
    codes, p = _check(labels, probs)
    return _thresholds(codes, p)


def confident_joint(labels: Any, probs: Any, *, calibrate: bool = True) -> np.ndarray:
    """Counts of (given label ``i``, confidently predicted class ``j``): the confident joint.

    An item counts in row ``i`` (its label) and column ``j`` when ``p_j`` reaches the threshold
    ``t_j`` (:func:`confident_thresholds`); when several classes reach theirs, the most probable
    of all classes is taken; an item that reaches none is not counted. Each diagonal cell is at
    least 1. With ``calibrate`` each row is rescaled to the number of items labelled ``i`` and
    rounded to whole counts that keep the row's total.

    Parameters
    ----------
    labels : array-like of int, shape (n_items,)
        Given label codes.
    probs : array-like, shape (n_items, n_classes)
        Predicted probabilities (out-of-fold).
    calibrate : bool, default True
        Rescale rows to the label counts (cleanlab's ``calibrate_confident_joint``).

    Returns
    -------
    numpy.ndarray of shape (n_classes, n_classes), int64.

    Examples
    --------
    >>> from hilt.quality.label_issues import confident_joint
    >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.1, 0.9], [0.2, 0.8]]
    >>> confident_joint([0, 0, 0, 1, 1], probs, calibrate=False).tolist()  # t = [0.6, 0.85]
    [[2, 1], [0, 1]]
    """
    codes, p = _check(labels, probs)
    joint, _ = _joint(codes, p, _thresholds(codes, p))
    return _calibrate(joint, np.bincount(codes, minlength=p.shape[1])) if calibrate else joint


def find_label_issues(
    labels: Any, probs: Any, *, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items whose given label is likely wrong, most likely first (confident learning).

    Parameters
    ----------
    labels : array-like of int, shape (n_items,)
        Given label codes ``0 .. n_classes - 1``.
    probs : array-like, shape (n_items, n_classes)
        Out-of-fold predicted probabilities (:func:`out_of_fold_probabilities`): in-sample
        probabilities have seen the labels and hide the errors.
    limit : int, optional
        Return at most this many (the most likely wrong).

    Returns
    -------
    indices : numpy.ndarray of shape (n_issues,), int64
        Positions of the flagged items, most likely wrong first.
    scores : numpy.ndarray of shape (n_issues,), float64
        ``1 - p(given label)`` of each, in [0, 1]: higher is more likely wrong.
    suggested : numpy.ndarray of shape (n_issues,), int64
        The class each more likely belongs to: the confidently predicted class (the most
        probable of those over their threshold), else the most probable other class.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.quality import find_label_issues
    >>> labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.9, 0.1], [0.1, 0.9],
    ...                   [0.2, 0.8], [0.1, 0.9], [0.3, 0.7], [0.8, 0.2]])
    >>> indices, scores, suggested = find_label_issues(labels, probs)
    >>> indices.tolist(), scores.round(2).tolist(), suggested.tolist()
    ([3, 7], [0.9, 0.8], [1, 0])
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0):
        raise InputError(f"Expected limit to be None or a whole number >= 0; got {limit!r}.")
    codes, p = _check(labels, probs)
    n, k = p.shape
    counts = np.bincount(codes, minlength=k)
    thresholds = _thresholds(codes, p)
    joint, guess = _joint(codes, p, thresholds)
    prune = _calibrate(joint, counts)
    np.fill_diagonal(prune, 0)
    # Count at most all but one item of a label as wrong (cleanlab's min_examples_per_class=1;
    # equal margins at the cut, below, may still take the last one with the others).
    excess = prune.sum(axis=1) - np.maximum(counts - 1, 0)
    for i in np.flatnonzero(excess > 0):
        prune[i] = _shrink(prune[i], int(excess[i]))
    flagged = np.zeros(n, dtype=bool)
    by_label = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    for i, j in zip(*np.nonzero(prune)):
        members = by_label[starts[i]:starts[i + 1]]
        margin = p[members, j] - p[members, i]
        flagged[members[_top_with_ties(margin, int(prune[i, j]))]] = True
    # An item whose own label is still the most probable is not called wrong.
    own = p[np.arange(n), codes]
    others = p.copy()
    others[np.arange(n), codes] = -np.inf
    flagged &= others.max(axis=1) > own + _SLACK
    indices = np.flatnonzero(flagged)
    scores = np.clip(1.0 - own[indices], 0.0, 1.0)
    order = np.argsort(-scores, kind="stable")  # equal scores: the earlier item first
    indices, scores = indices[order], scores[order]
    better = guess[indices]
    fallback = (better < 0) | (better == codes[indices])
    better[fallback] = others[indices[fallback]].argmax(axis=1)
    if limit is not None:
        indices, scores, better = indices[:limit], scores[:limit], better[:limit]
    return indices.astype(np.int64), scores.astype(np.float64), better.astype(np.int64)


def _thresholds(codes: np.ndarray, p: np.ndarray) -> np.ndarray:
    k = p.shape[1]
    counts = np.bincount(codes, minlength=k)
    sums = np.bincount(codes, weights=p[np.arange(codes.shape[0]), codes], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), 2.0)
    # cleanlab's floor: a threshold of 0 would make every class "confident".
    return np.maximum(means, 2 * _SLACK)


def _joint(codes: np.ndarray, p: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The raw confident joint and each item's confident class (-1 where none is)."""
    k = p.shape[1]
    above = p >= thresholds - _SLACK
    n_above = above.sum(axis=1)
    guess = np.where(n_above > 1, p.argmax(axis=1), above.argmax(axis=1))
    guess[n_above == 0] = -1
    counted = guess >= 0
    joint = np.bincount(codes[counted] * k + guess[counted], minlength=k * k).reshape(k, k)
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1))
    return joint.astype(np.int64), guess


def _calibrate(joint: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Rows rescaled to the label counts, then whole counts that keep each row's total."""
    rows = joint.sum(axis=1, keepdims=True).astype(np.float64)
    scaled = joint / np.maximum(rows, 1e-100) * counts[:, None]
    # cleanlab's operations in cleanlab's order, so that cells equal there are equal here.
    scaled = scaled / max(scaled.sum(), 1e-100) * counts.sum()
    return _round_rows(scaled)


def _round_rows(values: np.ndarray) -> np.ndarray:
    """Round to integers keeping each row's (rounded) total: the largest fractions round up.

    Among equal fractions (common: cells with equal counts in a row) the later column rounds
    up first. cleanlab's ``round_preserving_sum`` leaves that order to numpy's default sort,
    which is not stable, so on such ties the two can flag an item or two apart.
    """
    floor = np.floor(values)
    missing = (np.round(values.sum(axis=1)) - floor.sum(axis=1)).astype(np.int64)
    width = values.shape[1]
    later_first = np.argsort(-(values - floor)[:, ::-1], axis=1, kind="stable")
    rank = np.empty_like(later_first)
    np.put_along_axis(rank, later_first, np.arange(width)[None, :].repeat(values.shape[0], axis=0), axis=1)
    return (floor + (rank[:, ::-1] < missing[:, None])).astype(np.int64)


def _shrink(row: np.ndarray, excess: int) -> np.ndarray:
    """``row`` with ``excess`` taken off, spread in proportion to its cells."""
    target = row * (1.0 - excess / row.sum())
    return _round_rows(target[None, :])[0]


def _top_with_ties(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` largest ``values``, with every value tied with the last one.

    Taking all ties keeps which items are flagged independent of their order.
    """
    if count >= values.shape[0]:
        return np.arange(values.shape[0])
    cut = np.partition(values, values.shape[0] - count)[values.shape[0] - count]
    return np.flatnonzero(values >= cut)


def _check_codes(labels: Any, n_classes: int | None) -> np.ndarray:
    codes = np.asarray(labels)
    if codes.ndim != 1:
        raise InputError(f"Expected labels as a 1D array of class codes, got {codes.ndim}D array instead.")
    if codes.shape[0] == 0:
        raise InputError("Expected at least one label, got none.")
    if codes.dtype.kind not in "iub":
        if codes.dtype.kind != "f" or not np.all(np.mod(codes, 1) == 0):
            raise InputError(f"Expected labels as integer class codes 0 .. n_classes - 1, got dtype {codes.dtype}.")
    codes = codes.astype(np.int64)
    top = None if n_classes is None else int(n_classes)
    if top is not None and top < 2:
        raise InputError(f"Expected n_classes >= 2, got {n_classes!r}.")
    if codes.min() < 0 or (top is not None and codes.max() >= top):
        raise InputError(
            f"Expected label codes in 0 .. {'n_classes - 1' if top is None else top - 1}; "
            f"got codes from {int(codes.min())} to {int(codes.max())}."
        )
    return codes


def _check(labels: Any, probs: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        p = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("Expected probs as a numeric array of shape (n_items, n_classes).") from None
    if p.ndim != 2 or p.shape[1] < 2:
        raise InputError(f"Expected probs of shape (n_items, n_classes >= 2), got shape {p.shape} instead.")
    if not np.isfinite(p).all() or (p < 0).any():
        raise InputError("Expected probs to be finite and non-negative; got NaN, infinity or a negative value.")
    codes = _check_codes(labels, p.shape[1])
    if codes.shape[0] != p.shape[0]:
        raise InputError(f"Expected one row of probs per label ({codes.shape[0]}); got {p.shape[0]} rows.")
    return codes, p
