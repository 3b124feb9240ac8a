"""The CRF inference of hilt.sampling.sequence equals brute-force enumeration of every labelling."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from hilt.errors import InputError
from hilt.sampling.sequence import (
    SEQUENCE_METHODS,
    best_and_uncertainty,
    log_partition,
    marginals,
    sequence_uncertainty,
    two_best,
)
from hilt.tasks.spans import SPAN_METHODS

SCORES = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)


@st.composite
def tiny_crfs(draw, max_tokens=5):
    n = draw(st.integers(1, max_tokens))
    k = draw(st.integers(2, 4))
    return draw(arrays(np.float64, (n, k), elements=SCORES)), draw(arrays(np.float64, (k, k), elements=SCORES))


def enumerate_all(E, T):
    """Every labelling with its score, best first (ties in enumeration order)."""
    n, k = E.shape
    rows = []
    for y in itertools.product(range(k), repeat=n):
        rows.append((sum(E[t, y[t]] for t in range(n)) + sum(T[y[t - 1], y[t]] for t in range(1, n)), y))
    return sorted(rows, key=lambda row: -row[0])


def brute_figures(E, T):
    n, k = E.shape
    rows = enumerate_all(E, T)
    scores = np.array([s for s, _ in rows])
    z = np.exp(scores).sum()
    probs = np.exp(scores) / z
    m = np.zeros((n, k))
    for p, (_, y) in zip(probs, rows):
        for t in range(n):
            m[t, y[t]] += p
    p1, p2 = probs[0], probs[1]
    token = []
    for row in m:
        top = np.sort(row)[::-1]
        entropy = -sum(v * math.log(v) for v in row if v > 0) / math.log(k)
        token.append([1 - top[0], 1 - (top[0] - top[1]), top[1] / top[0], entropy])
    token = np.array(token)
    return math.log(z), m, rows, np.array([1 - p1, 1 - (p1 - p2), p2 / p1, token[:, 3].mean(), *token.max(axis=0)])


def test_the_figures_come_in_the_order_of_the_spans_task_columns():
    assert SEQUENCE_METHODS == SPAN_METHODS


@settings(max_examples=150, deadline=None)
@given(tiny_crfs())
def test_log_partition_marginals_and_figures_equal_enumerating_every_labelling(crf):
    E, T = crf
    log_z, m, rows, figures = brute_figures(E, T)
    assert log_partition(E, T) == pytest.approx(log_z, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(marginals(E, T), m, atol=1e-9)
    np.testing.assert_allclose(sequence_uncertainty(E, T), figures, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(tiny_crfs())
def test_the_two_best_labellings_have_the_two_highest_scores_of_all(crf):
    E, T = crf
    rows = enumerate_all(E, T)
    paths, scores = two_best(E, T)
    assert scores.tolist() == pytest.approx([rows[0][0], rows[1][0]], abs=1e-9)
    assert tuple(paths[0]) != tuple(paths[1])
    for path, score in zip(paths, scores):  # each path really has the score reported
        n = len(path)
        own = sum(E[t, path[t]] for t in range(n)) + sum(T[path[t - 1], path[t]] for t in range(1, n))
        assert own == pytest.approx(score, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(tiny_crfs())
def test_marginals_sum_to_one_and_every_figure_lies_in_zero_one(crf):
    E, T = crf
    np.testing.assert_allclose(marginals(E, T).sum(axis=1), 1.0, atol=1e-12)
    figures = sequence_uncertainty(E, T)
    assert figures.shape == (8,) and ((figures >= 0) & (figures <= 1)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(tiny_crfs(max_tokens=4), min_size=1, max_size=5), st.integers(2, 4))
def test_a_padded_batch_gives_each_sequence_what_it_gets_alone(crfs, k):
    crfs = [(E[:, :k] if E.shape[1] >= k else np.pad(E, ((0, 0), (0, k - E.shape[1])))) for E, _ in crfs]
    T = np.arange(k * k, dtype=np.float64).reshape(k, k) / (k * k) - 0.5
    L = max(E.shape[0] for E in crfs) + 1  # one column of padding at least
    batch = np.full((len(crfs), L, k), 7.0)  # padding values must not matter
    for i, E in enumerate(crfs):
        batch[i, :len(E)] = E
    lengths = np.array([len(E) for E in crfs])
    best, figures = best_and_uncertainty(batch, T, lengths=lengths)
    np.testing.assert_allclose(log_partition(batch, T, lengths), [log_partition(E, T) for E in crfs], atol=1e-9)
    for i, E in enumerate(crfs):
        alone_best, alone_figures = best_and_uncertainty(E, T)
        assert best[i, :len(E)].tolist() == alone_best.tolist()
        np.testing.assert_allclose(figures[i], alone_figures, atol=1e-12)
        np.testing.assert_allclose(marginals(batch, T, lengths)[i, :len(E)], marginals(E, T), atol=1e-12)


def test_two_tokens_two_tags_by_hand():
    # Scores: E favours tag 0 on token 0 (by 1) and tag 1 on token 1 (by 2); the transition 0 -> 1
    # costs 1. Labellings: 00: 1+0 = 1; 01: 1+2-1 = 2; 10: 0+0 = 0; 11: 0+2 = 2.
    E = np.array([[1.0, 0.0], [0.0, 2.0]])
    T = np.array([[0.0, -1.0], [0.0, 0.0]])
    z = math.e + 2 * math.e ** 2 + 1
    assert log_partition(E, T) == pytest.approx(math.log(z))
    paths, scores = two_best(E, T)
    assert scores.tolist() == [2.0, 2.0] and sorted(map(tuple, paths.tolist())) == [(0, 1), (1, 1)]
    p0 = (math.e + math.e ** 2) / z  # P(token 0 = tag 0): labellings 00 and 01
    p1 = (math.e + 1) / z            # P(token 1 = tag 0): labellings 00 and 10
    np.testing.assert_allclose(marginals(E, T), [[p0, 1 - p0], [p1, 1 - p1]])
    best = math.e ** 2 / z

    def h(p):
        return -(p * math.log(p) + (1 - p) * math.log(1 - p)) / math.log(2)

    token_least = [1 - max(p0, 1 - p0), 1 - max(p1, 1 - p1)]
    token_margin = [1 - abs(2 * p0 - 1), 1 - abs(2 * p1 - 1)]
    token_ratio = [min(p0, 1 - p0) / max(p0, 1 - p0), min(p1, 1 - p1) / max(p1, 1 - p1)]
    expected = [1 - best, 1.0, 1.0, (h(p0) + h(p1)) / 2,
                max(token_least), max(token_margin), max(token_ratio), max(h(p0), h(p1))]
    np.testing.assert_allclose(sequence_uncertainty(E, T), expected)


def test_a_sure_model_is_certain_and_a_coin_is_not():
    sure = sequence_uncertainty(np.array([[50.0, 0.0], [50.0, 0.0]]), np.zeros((2, 2)))
    assert sure.max() < 1e-12
    coin = sequence_uncertainty(np.zeros((3, 2)), np.zeros((2, 2)))
    np.testing.assert_allclose(coin, [1 - 1 / 8, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0])


def test_no_tokens_or_one_tag_is_certain():
    assert sequence_uncertainty(np.zeros((0, 3)), np.zeros((3, 3))).tolist() == [0.0] * 8
    assert sequence_uncertainty(np.array([[1.0], [2.0]]), np.zeros((1, 1))).tolist() == [0.0] * 8
    paths, scores = two_best(np.array([[1.0], [2.0]]), np.zeros((1, 1)))
    assert paths.tolist() == [[0, 0], [-1, -1]] and scores.tolist() == [3.0, -np.inf]
    best, figures = best_and_uncertainty(np.zeros((2, 3, 4)), np.zeros((4, 4)), lengths=[0, 3])
    assert figures[0].tolist() == [0.0] * 8 and figures[1, 0] == pytest.approx(1 - 4 ** -3)


def test_long_uncertain_sequences_keep_ratio_finite():
    # 2,000 coin tokens: P(best) = 2**-2000 underflows, yet the two best are equally likely.
    figures = sequence_uncertainty(np.zeros((2000, 2)), np.zeros((2, 2)))
    assert np.isfinite(figures).all() and figures[2] == 1.0 and figures[0] == 1.0


@pytest.mark.parametrize(("E", "T", "lengths", "message"), [
    (np.zeros(3), np.zeros((2, 2)), None, "got a 1D array"),
    (np.zeros((2, 3)), np.zeros((2, 2)), None, r"shape \(3, 3\) for 3 tags; got shape \(2, 2\)"),
    (np.array([[0.0, np.nan]]), np.zeros((2, 2)), None, "sequence 0, token 0"),
    (np.zeros((2, 2)), np.array([[0.0, np.inf], [0, 0]]), None, r"transition scores; got NaN or infinity at \[0, 1\]"),
    (np.zeros((2, 3, 2)), np.zeros((2, 2)), None, "Expected lengths"),
    (np.zeros((2, 3, 2)), np.zeros((2, 2)), [1, 4], "between 0 and 3"),
    (np.zeros((3, 2)), np.zeros((2, 2)), [3], "only with a padded batch"),
])
def test_bad_scores_say_what_came(E, T, lengths, message):
    with pytest.raises(InputError, match=message):
        sequence_uncertainty(E, T, lengths)
