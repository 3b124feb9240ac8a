"""Agreement and label issues for answers that are sets of labels (multi-label items).

* :func:`masi_distance`: Passonneau's MASI distance between two label sets (as NLTK's
  ``nltk.metrics.distance.masi_distance``, with two empty sets at distance 0 where NLTK
  divides by zero);
* :func:`krippendorff_alpha`: Krippendorff's alpha with any distance over hashable values
  (MASI over frozensets for multi-label answers);
* :func:`per_label_alpha`: nominal alpha of each label's yes/no;
* :func:`find_pair_issues`: (item, label) pairs whose given yes/no the out-of-fold
  probability confidently contradicts (confident learning one label at a time, as cleanlab's
  multi-label ``find_label_issues`` does one-vs-rest).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.quality.agreement import krippendorff_alpha_nominal
from hilt.quality.label_issues import find_label_issues

__all__ = ["find_pair_issues", "krippendorff_alpha", "masi_distance", "per_label_alpha"]


def masi_distance(a: frozenset | set, b: frozenset | set) -> float:
    """MASI distance: ``1 - J * m``, ``J`` the Jaccard index, ``m`` 1 for equal sets, 2/3 when
    one holds the other, 1/3 when they overlap, else 0 (Passonneau 2006; NLTK's weights).

    Examples
    --------
    >>> masi_distance({"a", "b"}, {"a", "b"}), round(masi_distance({"a"}, {"a", "b"}), 4), masi_distance({"a"}, {"b"})
    (0.0, 0.6667, 1.0)
    >>> round(masi_distance({"a", "b"}, {"b", "c"}), 4), masi_distance(set(), set())
    (0.8889, 0.0)
    """
    a, b = set(a), set(b)
    common, union = len(a & b), len(a | b)
    if union == 0:
        return 0.0  # two "none of these" answers agree
    if len(a) == len(b) == common:
        m = 1.0
    elif common == min(len(a), len(b)):
        m = 2 / 3
    elif common > 0:
        m = 1 / 3
    else:
        m = 0.0
    return 1.0 - common / union * m


def krippendorff_alpha(units: Sequence[Hashable], values: Sequence[Hashable],
                       distance: Callable[[Any, Any], float] = masi_distance) -> float | None:
    """Krippendorff's alpha ``1 - D_o / D_e`` with ``distance`` between values, in long form.

    ``units[i]`` got ``values[i]`` from one coder (at most one value per coder and unit). Units
    with a single value are not pairable and are left out. ``None`` when undefined (no pairable
    unit, or no expected disagreement). The same figure as NLTK's
    ``AnnotationTask(data, distance=masi_distance).alpha()``.

    Examples
    --------
    >>> units = [1, 1, 2, 2, 3, 3]
    >>> values = [frozenset("a"), frozenset("a"), frozenset("b"), frozenset("ab"), frozenset("b"), frozenset("b")]
    >>> round(krippendorff_alpha(units, values), 4)
    0.6429
    """
    if len(units) != len(values):
        raise InputError(f"Expected units and values of the same length, got {len(units)} and {len(values)}.")
    by_unit: dict[Hashable, list[Hashable]] = {}
    for unit, value in zip(units, values):
        by_unit.setdefault(unit, []).append(value)
    pairable = [vals for vals in by_unit.values() if len(vals) >= 2]
    if not pairable:
        return None
    kinds: dict[Hashable, int] = {}
    for vals in pairable:
        for v in vals:
            kinds.setdefault(v, len(kinds))
    names = list(kinds)
    d = np.array([[distance(a, b) for b in names] for a in names], dtype=np.float64)
    counts = np.zeros((len(pairable), len(names)))
    for row, vals in enumerate(pairable):
        for v in vals:
            counts[row, kinds[v]] += 1
    m = counts.sum(axis=1)
    total = m.sum()
    # Observed: within each unit, every ordered pair of its values (not a value with itself).
    pairs = np.einsum("uj,jl,ul->u", counts, d, counts)  # d[j, j] = 0: same-value pairs add nothing
    observed = float(np.sum(pairs / (m - 1)) / total)
    overall = counts.sum(axis=0)
    expected = float(overall @ d @ overall / (total * (total - 1)))
    if expected <= 0:
        return None
    return 1.0 - observed / expected


def per_label_alpha(units: Sequence[Hashable], values: Sequence[frozenset | set],
                    labels: Sequence[str]) -> dict[str, float | None]:
    """Nominal alpha of each label's yes/no over the same answers (``None`` where undefined).

    Examples
    --------
    >>> per_label_alpha([1, 1, 2, 2], [{"a"}, {"a"}, {"b"}, {"a", "b"}], ["a", "b"])
    {'a': 0.0, 'b': 1.0}
    """
    return {label: krippendorff_alpha_nominal(list(units), [label in v for v in values]) for label in labels}


def find_pair_issues(given: Any, probs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, label) pairs whose given yes/no is likely wrong, most likely first.

    Parameters
    ----------
    given : array-like of bool, shape (n_items, n_labels)
        The final answers as an indicator matrix.
    probs : array-like, shape (n_items, n_labels)
        Out-of-fold probability of each label (independent per label).

    Returns
    -------
    items, labels : numpy.ndarray of int64
        Positions of the flagged pairs, most likely wrong first.
    scores : numpy.ndarray of float64
        ``1 - p(given yes/no)``, in [0, 1]: higher is more likely wrong.

    Examples
    --------
    >>> import numpy as np
    >>> given = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], bool)
    >>> probs = np.array([[.9, .1], [.8, .2], [.1, .1], [.1, .9], [.2, .8], [.1, .9]])
    >>> items, labels, scores = find_pair_issues(given, probs)
    >>> items.tolist(), labels.tolist(), scores.round(2).tolist()
    ([2], [0], [0.9])
    """
    given = np.asarray(given, dtype=bool)
    probs = np.asarray(probs, dtype=np.float64)
    if given.ndim != 2 or given.shape != probs.shape:
        raise InputError(f"Expected given and probs of the same 2-D shape; got {given.shape} and {probs.shape}.")
    found_items, found_labels, found_scores = [], [], []
    for j in range(given.shape[1]):
        y = given[:, j].astype(np.int64)
        if y.min(initial=0) == y.max(initial=0):  # one value only: nothing to contrast it with
            continue
        p = np.column_stack([1.0 - probs[:, j], probs[:, j]])
        flagged, scores, _ = find_label_issues(y, p)
        found_items.append(flagged)
        found_labels.append(np.full(flagged.size, j, np.int64))
        found_scores.append(scores)
    if not found_items:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    items, labels, scores = (np.concatenate(x) for x in (found_items, found_labels, found_scores))
    order = np.lexsort((labels, items, -scores))
    return items[order].astype(np.int64), labels[order].astype(np.int64), scores[order]
