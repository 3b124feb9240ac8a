"""Inference in a linear-chain CRF from its scores, and the uncertainty of a labelling.

A linear-chain CRF over ``n`` tokens and ``K`` tags scores a labelling ``y`` as
``s(y) = sum_t E[t, y_t] + sum_{t>0} T[y_{t-1}, y_t]``: ``E`` (``n x K``) holds each token's
emission (state feature) scores, ``T`` (``K x K``) the transition scores, both in log space,
and ``P(y) = exp(s(y) - log Z)`` with ``log Z`` the log-sum-exp of ``s`` over all ``K**n``
labellings (no start or end transitions: CRFsuite's first-order CRF has none). This module
computes, by dynamic programming and never by enumeration:

* :func:`log_partition`: ``log Z`` (the forward algorithm, in log space);
* :func:`marginals`: ``P(y_t = k)`` for each token (forward-backward);
* :func:`two_best`: the best and second-best labellings and their scores (a 2-best Viterbi);
* :func:`sequence_uncertainty`: the eight figures of :data:`SEQUENCE_METHODS`, each in [0, 1],
  1 = most uncertain.

Every function takes one sequence (``E`` of shape ``(n, K)``) or a padded batch (``E`` of shape
``(B, L, K)`` with ``lengths`` giving each sequence's ``n <= L``); a batch runs the recursions
once over all its sequences (what a sequence model scoring thousands of texts needs).

The figures, with ``P1``, ``P2`` the probabilities of the two best labellings and ``m_t`` the
marginals of token ``t`` (``m1 >= m2`` its two largest):

* ``least`` = ``1 - P1``;  ``margin`` = ``1 - (P1 - P2)``;  ``ratio`` = ``P2 / P1``;
* ``entropy`` = the mean over tokens of ``H(m_t) / log K`` (the marginals' entropy, normalized);
* ``least:max``, ``margin:max``, ``ratio:max``, ``entropy:max``: the maximum over tokens of
  ``1 - m1``, ``1 - (m1 - m2)``, ``m2 / m1`` and ``H(m_t) / log K`` (the most doubtful token).

A sequence with no tokens, or a model with one tag only, is certain: every figure is 0.

Examples
--------
>>> import numpy as np
>>> from hilt.sampling.sequence import sequence_uncertainty, two_best
>>> E = np.log([[0.9, 0.1], [0.5, 0.5]])     # the first token is sure, the second is a coin
>>> T = np.zeros((2, 2))                      # transitions change nothing
>>> paths, scores = two_best(E, T)
>>> paths.tolist()
[[0, 0], [0, 1]]
>>> sequence_uncertainty(E, T).round(3).tolist()
[0.55, 1.0, 1.0, 0.734, 0.5, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError

__all__ = [
    "SEQUENCE_METHODS",
    "best_and_uncertainty",
    "log_partition",
    "marginals",
    "sequence_uncertainty",
    "two_best",
]

#: The figures of :func:`sequence_uncertainty`, in order (the columns of a spans model's
#: ``predict_proba``, :data:`hilt.tasks.spans.SPAN_METHODS`).
SEQUENCE_METHODS = ("least", "margin", "ratio", "entropy", "least:max", "margin:max", "ratio:max", "entropy:max")


def _checked(E, T, lengths) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(E (B, L, K), T (K, K), lengths (B,), single)`` as float64/int64 arrays, or an InputError."""
    E = np.asarray(E, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    single = E.ndim == 2
    if single:
        if lengths is not None:
            raise InputError("Expected lengths only with a padded batch of emissions (B, L, K); got a single (n, K) sequence.")
        E = E[None]
    elif E.ndim != 3:
        raise InputError(f"Expected emission scores of shape (n_tokens, n_tags) or (batch, max_tokens, n_tags); "
                         f"got a {E.ndim}D array of shape {E.shape}.")
    B, L, K = E.shape
    if K < 1:
        raise InputError(f"Expected at least one tag (column of the emission scores); got shape {E.shape}.")
    if T.shape != (K, K):
        raise InputError(f"Expected transition scores of shape ({K}, {K}) for {K} tags; got shape {T.shape}.")
    if lengths is None:
        if not single:
            raise InputError("Expected lengths (one per sequence) with a padded batch of emissions (B, L, K).")
        lengths = np.array([L], dtype=np.int64)
    else:
        lengths = np.asarray(lengths)
        if lengths.shape != (B,) or (lengths.size and (lengths.dtype.kind not in "iu"
                                                       or lengths.min() < 0 or lengths.max() > L)):
            raise InputError(f"Expected {B} whole-number lengths between 0 and {L}; got {lengths!r}.")
        lengths = lengths.astype(np.int64)
    if not np.isfinite(T).all():
        raise InputError(f"Expected finite transition scores; got NaN or infinity at {np.argwhere(~np.isfinite(T))[0].tolist()}.")
    valid = np.arange(L)[None, :] < lengths[:, None]
    bad = valid & ~np.isfinite(E).all(axis=2)
    if bad.any():
        b, t = np.argwhere(bad)[0]
        raise InputError(f"Expected finite emission scores; got NaN or infinity at sequence {b}, token {t}.")
    if not valid.all():  # padding takes part in the batched recursions: keep it finite
        E = np.where(valid[:, :, None], E, 0.0)
    return E, T, lengths, single


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.exp(x - top).sum(axis=axis))


def _forward(E: np.ndarray, T: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``alpha (B, L, K)``: log-sum of the scores of every prefix ending in tag k at token t
    (past a sequence's end its last column is carried on, so ``alpha[:, -1]`` gives ``log Z``)."""
    B, L, K = E.shape
    alpha = np.empty_like(E)
    if L == 0:
        return alpha
    alpha[:, 0] = E[:, 0]
    for t in range(1, L):
        step = _logsumexp(alpha[:, t - 1, :, None] + T[None], axis=1) + E[:, t]
        alpha[:, t] = np.where((t < lengths)[:, None], step, alpha[:, t - 1])
    return alpha


def _backward(E: np.ndarray, T: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``beta (B, L, K)``: log-sum of the scores of every suffix after token t given tag k there."""
    B, L, K = E.shape
    beta = np.zeros_like(E)
    for t in range(L - 2, -1, -1):
        step = _logsumexp(T[None] + (E[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = np.where((t + 1 < lengths)[:, None], step, 0.0)
    return beta


def _log_z(alpha: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    if alpha.shape[1] == 0:
        return np.zeros(alpha.shape[0])
    return np.where(lengths > 0, _logsumexp(alpha[:, -1], axis=1), 0.0)


def _marginals(E, T, lengths) -> tuple[np.ndarray, np.ndarray]:
    alpha, beta = _forward(E, T, lengths), _backward(E, T, lengths)
    log_z = _log_z(alpha, lengths)
    probs = np.exp(alpha + beta - log_z[:, None, None])
    probs /= probs.sum(axis=2, keepdims=True)  # rounding: each token's marginals sum to 1 exactly
    valid = np.arange(E.shape[1])[None, :] < lengths[:, None]
    probs[~valid] = 0.0
    return probs, log_z


def log_partition(E, T, lengths=None):
    """``log Z``: the log-sum-exp of the scores of every labelling (0 for no tokens).

    Parameters
    ----------
    E : array-like, ``(n_tokens, n_tags)`` or ``(batch, max_tokens, n_tags)``
        Emission scores (log space); a batch is padded past each sequence's length.
    T : array-like, ``(n_tags, n_tags)``
        ``T[i, j]``: the score of tag ``j`` following tag ``i``.
    lengths : array-like of int, optional
        Each sequence's number of tokens; required with a batch.

    Returns
    -------
    float, or ``(batch,)`` float64

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.sampling.sequence import log_partition
    >>> round(float(np.exp(log_partition(np.zeros((3, 2)), np.zeros((2, 2))))), 6)   # 2**3 labellings of score 0
    8.0
    """
    E, T, lengths, single = _checked(E, T, lengths)
    log_z = _log_z(_forward(E, T, lengths), lengths)
    return float(log_z[0]) if single else log_z


def marginals(E, T, lengths=None) -> np.ndarray:
    """``P(y_t = k)``: each token's tag probabilities under the CRF (forward-backward).

    Parameters are those of :func:`log_partition`.

    Returns
    -------
    ndarray, ``(n_tokens, n_tags)`` or ``(batch, max_tokens, n_tags)`` float64
        Each token's row sums to 1; padding rows are 0.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.sampling.sequence import marginals
    >>> E = np.log([[0.9, 0.1], [0.5, 0.5]])
    >>> T = np.log([[0.5, 0.5], [1.0, 1e-9]])   # tag 1 is (almost) never followed by tag 1
    >>> marginals(E, T).round(3).tolist()      # 00, 01, 10, 11 weigh .225, .225, .05, ~0
    [[0.9, 0.1], [0.55, 0.45]]
    """
    E, T, lengths, single = _checked(E, T, lengths)
    probs, _ = _marginals(E, T, lengths)
    return probs[0] if single else probs


def _two_best(E: np.ndarray, T: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(paths (B, 2, L) int64, scores (B, 2))``: a 2-best Viterbi. At each token and tag it keeps
    the two best prefixes ending there (score, and which tag and rank they came from); the two best
    of the 2K candidates are distinct prefixes, so the two best full labellings are too. A second
    labelling that does not exist (one tag only) has score -inf and path -1."""
    B, L, K = E.shape
    if L == 0:
        return np.zeros((B, 2, 0), dtype=np.int64), np.array([[0.0, -np.inf]] * B).reshape(B, 2)
    delta = np.full((B, K, 2), -np.inf)
    delta[:, :, 0] = E[:, 0]
    back = np.empty((L, B, K, 2), dtype=np.int64)  # the candidate (prev_tag * 2 + prev_rank) chosen
    carry = (np.arange(K)[:, None] * 2 + np.arange(2)[None, :])[None]  # past the end: stay put
    rows = np.arange(B)[:, None, None]
    for t in range(1, L):
        candidates = (delta[:, :, :, None] + T[None, :, None, :]).reshape(B, 2 * K, K)
        order = np.argsort(-candidates, axis=1, kind="stable")[:, :2, :]  # (B, 2, K): best two per tag
        scores = np.take_along_axis(candidates, order, axis=1) + E[:, t, None, :]
        running = (t < lengths)[:, None, None]
        delta = np.where(running, np.transpose(scores, (0, 2, 1)), delta)
        back[t] = np.where(running, np.transpose(order, (0, 2, 1)), carry)
    flat = delta.reshape(B, 2 * K)
    final = np.argsort(-flat, axis=1, kind="stable")[:, :2]
    best = np.take_along_axis(flat, final, axis=1)
    paths = np.empty((B, 2, L), dtype=np.int64)
    tag, rank = final // 2, final % 2
    for t in range(L - 1, 0, -1):
        paths[:, :, t] = tag
        came = back[t][rows[:, :, 0], tag, rank]
        tag, rank = came // 2, came % 2
    paths[:, :, 0] = tag
    paths[:, 1][~np.isfinite(best[:, 1])] = -1
    return paths, best


def two_best(E, T, lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """The best and the second-best labelling, and their scores ``s(y)`` (unnormalized log space).

    Parameters are those of :func:`log_partition`.

    Returns
    -------
    paths : ndarray of int64, ``(2, n_tokens)`` or ``(batch, 2, max_tokens)``
        The tag indices of the best labelling, then of the second best (``-1`` throughout when
        there is no second one: a single tag); padding is not meaningful.
    scores : ndarray of float64, ``(2,)`` or ``(batch, 2)``
        Their scores (``-inf`` for a missing second); ``exp(score - log Z)`` is the probability.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.sampling.sequence import two_best
    >>> E = np.array([[2.0, 0.0], [0.0, 1.0]])
    >>> paths, scores = two_best(E, np.zeros((2, 2)))
    >>> paths.tolist(), scores.tolist()
    ([[0, 1], [0, 0]], [3.0, 2.0])
    """
    E, T, lengths, single = _checked(E, T, lengths)
    paths, scores = _two_best(E, T, lengths)
    return (paths[0], scores[0]) if single else (paths, scores)


def _figures(probs: np.ndarray, log_z: np.ndarray, scores: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    B, L, K = probs.shape
    out = np.zeros((B, len(SEQUENCE_METHODS)))
    if K < 2 or L == 0:
        return out  # one tag only: there is one labelling, and it is certain
    p1 = np.clip(np.exp(scores[:, 0] - log_z), 0.0, 1.0)
    p2 = np.clip(np.exp(scores[:, 1] - log_z), 0.0, 1.0)
    out[:, 0] = 1.0 - p1
    out[:, 1] = 1.0 - (p1 - p2)
    out[:, 2] = np.exp(scores[:, 1] - scores[:, 0])  # from the scores: P1 may underflow on long texts
    with np.errstate(divide="ignore", invalid="ignore"):
        token_entropy = -np.where(probs > 0, probs * np.log(probs), 0.0).sum(axis=2) / np.log(K)
    top = -np.partition(-probs, 1, axis=2)[:, :, :2]  # (B, L, 2): each token's two largest marginals
    m1, m2 = top[:, :, 0], top[:, :, 1]
    valid = np.arange(L)[None, :] < lengths[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(m1 > 0, m2 / np.where(m1 > 0, m1, 1.0), 0.0)
    per_token = np.stack([1.0 - m1, 1.0 - (m1 - m2), ratio, token_entropy], axis=2)
    per_token[~valid] = 0.0
    out[:, 3] = per_token[:, :, 3].sum(axis=1) / np.maximum(lengths, 1)
    out[:, 4:] = per_token.max(axis=1)
    out[lengths == 0] = 0.0
    return np.clip(out, 0.0, 1.0)


def best_and_uncertainty(E, T, lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """The best labelling and the eight figures of :func:`sequence_uncertainty` in one pass (what a
    sequence model's predict and predict_proba share).

    Parameters are those of :func:`log_partition`.

    Returns
    -------
    best : ndarray of int64, ``(n_tokens,)`` or ``(batch, max_tokens)``
    figures : ndarray of float64, ``(8,)`` or ``(batch, 8)``, in :data:`SEQUENCE_METHODS` order

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.sampling.sequence import best_and_uncertainty
    >>> E = np.log([[[0.9, 0.1], [0.5, 0.5]], [[0.2, 0.8], [1.0, 1.0]]])   # two texts, padded to 2 tokens
    >>> best, figures = best_and_uncertainty(E, np.zeros((2, 2)), lengths=[2, 1])
    >>> best[1, :1].tolist(), figures[:, 0].round(3).tolist()   # the second text has one token
    ([1], [0.55, 0.2])
    """
    E, T, lengths, single = _checked(E, T, lengths)
    probs, log_z = _marginals(E, T, lengths)
    paths, scores = _two_best(E, T, lengths)
    figures = _figures(probs, log_z, scores, lengths)
    return (paths[0, 0], figures[0]) if single else (paths[:, 0], figures)


def sequence_uncertainty(E, T, lengths=None) -> np.ndarray:
    """The uncertainty of a CRF's labelling: the eight figures of :data:`SEQUENCE_METHODS`.

    Parameters are those of :func:`log_partition`.

    Returns
    -------
    ndarray of float64, ``(8,)`` or ``(batch, 8)``
        Each in [0, 1], 1 = most uncertain; all 0 for no tokens or one tag.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.sampling.sequence import SEQUENCE_METHODS, sequence_uncertainty
    >>> figures = sequence_uncertainty(np.log([[0.9, 0.1], [0.5, 0.5]]), np.zeros((2, 2)))
    >>> dict(zip(SEQUENCE_METHODS[:3], figures.round(2).tolist()))   # P1 = 0.45, P2 = 0.45
    {'least': 0.55, 'margin': 1.0, 'ratio': 1.0}
    >>> sequence_uncertainty(np.zeros((0, 3)), np.zeros((3, 3))).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    return best_and_uncertainty(E, T, lengths)[1]
