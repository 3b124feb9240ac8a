"""The sampling math: hand-computed values, properties, ties, bad input, both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hilt import sampling
from hilt.sampling.uncertainty import _score

FUNCTIONS = {
    "least": sampling.least_confidence,
    "margin": sampling.margin_confidence,
    "ratio": sampling.ratio_confidence,
    "entropy": sampling.entropy_based,
}
ENGINES = ("numpy", "numba")

# One row worked by hand: p = (0.5, 0.3, 0.2), n = 3, so p1 = 0.5 and p2 = 0.3.
ROW = [[0.5, 0.3, 0.2]]
# -sum p log2 p = -(0.5*log2 0.5 + 0.3*log2 0.3 + 0.2*log2 0.2)
#               = 0.5 + 0.3*1.736966 + 0.2*2.321928 = 0.5 + 0.521090 + 0.464386 = 1.485475
ENTROPY_BITS = 0.5 * 1.0 + 0.3 * -math.log2(0.3) + 0.2 * -math.log2(0.2)

HAND = [
    # (method, raw, expected, the arithmetic)
    ("least", True, 0.5, "p1 = 0.5"),
    ("least", False, 0.75, "(1 - 0.5) * 3/2 = 0.75"),
    ("margin", True, 0.2, "p1 - p2 = 0.5 - 0.3 = 0.2"),
    ("margin", False, 0.8, "1 - (0.5 - 0.3) = 0.8"),
    ("ratio", True, 5 / 3, "p1 / p2 = 0.5 / 0.3 = 1.6667"),
    ("ratio", False, 0.6, "p2 / p1 = 0.3 / 0.5 = 0.6"),
    ("entropy", True, ENTROPY_BITS, "0.5 + 0.521090 + 0.464386 = 1.485475 bits"),
    ("entropy", False, ENTROPY_BITS / math.log2(3), "1.485475 / log2(3) = 1.485475 / 1.584963 = 0.937231"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method,raw,expected,arithmetic", HAND)
def test_hand_computed_values(method, raw, expected, arithmetic, engine):
    got = _score(np.array(ROW), method, raw, engine=engine)
    assert got.dtype == np.float64 and got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-12), arithmetic


def test_entropy_constant_matches_the_worked_figure():
    assert ENTROPY_BITS == pytest.approx(1.485475, abs=1e-6)
    assert ENTROPY_BITS / math.log2(3) == pytest.approx(0.937231, abs=1e-6)


def test_public_functions_match_score():
    probs = np.array([[0.7, 0.2, 0.1], [0.34, 0.33, 0.33]])
    for name, function in FUNCTIONS.items():
        for raw in (False, True):
            np.testing.assert_array_equal(function(probs, raw=raw), sampling.score(probs, name, raw=raw))


@pytest.mark.parametrize("engine", ENGINES)
def test_one_hot_rows_have_no_nan_and_ratio_raw_is_inf(engine):
    one_hot = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    for method in sampling.METHODS:
        normalized = _score(one_hot, method, False, engine=engine)
        np.testing.assert_array_equal(normalized, [0.0, 0.0])
    np.testing.assert_array_equal(_score(one_hot, "entropy", True, engine=engine), [0.0, 0.0])
    np.testing.assert_array_equal(_score(one_hot, "ratio", True, engine=engine), [np.inf, np.inf])


def test_two_class_hand_values():
    # p = (0.8, 0.2): least (1-0.8)*2 = 0.4; margin 1-0.6 = 0.4; ratio 0.2/0.8 = 0.25;
    # entropy -(0.8 log2 0.8 + 0.2 log2 0.2) = 0.257542 + 0.464386 = 0.721928 (n=2 so /1).
    probs = [[0.2, 0.8]]
    assert sampling.least_confidence(probs)[0] == pytest.approx(0.4)
    assert sampling.margin_confidence(probs)[0] == pytest.approx(0.4)
    assert sampling.ratio_confidence(probs)[0] == pytest.approx(0.25)
    assert sampling.entropy_based(probs)[0] == pytest.approx(0.721928, abs=1e-6)


def test_lists_float32_and_ints_are_accepted():
    as_list = sampling.margin_confidence([[0.25, 0.75], [1, 0]])
    np.testing.assert_allclose(as_list, [0.5, 0.0])
    f32 = sampling.margin_confidence(np.array([[0.25, 0.75]], dtype=np.float32))
    assert f32.dtype == np.float64
    np.testing.assert_allclose(f32, [0.5])


# ---------------------------------------------------------------------------- properties
def distributions(min_classes=2, max_classes=12, max_rows=20):
    """Rows of non-negative weights normalized to sum to 1 (some entries exactly zero)."""

    @st.composite
    def build(draw):
        n_rows = draw(st.integers(1, max_rows))
        n_classes = draw(st.integers(min_classes, max_classes))
        weights = draw(
            arrays(np.float64, (n_rows, n_classes), elements=st.floats(0, 1e3, allow_subnormal=False))
        )
        weights[weights.sum(axis=1) == 0, 0] = 1.0  # an all-zero row becomes one-hot
        return weights / weights.sum(axis=1, keepdims=True)

    return build()


@settings(max_examples=200, deadline=None)
@given(distributions())
def test_normalized_scores_lie_in_unit_interval(probs):
    for method in sampling.METHODS:
        for engine in ENGINES:
            s = _score(probs, method, False, engine=engine)
            assert np.all((s >= 0.0) & (s <= 1.0)), (method, engine, s)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 50))
def test_uniform_row_scores_one_and_one_hot_scores_zero(n):
    uniform = np.full((1, n), 1.0 / n)
    one_hot = np.eye(n)[:1]
    for method in sampling.METHODS:
        for engine in ENGINES:
            assert _score(uniform, method, False, engine=engine)[0] == pytest.approx(1.0, abs=1e-9)
            assert _score(one_hot, method, False, engine=engine)[0] == 0.0


@settings(max_examples=150, deadline=None)
@given(distributions(), st.randoms(use_true_random=False))
def test_invariant_to_class_order(probs, random):
    order = list(range(probs.shape[1]))
    random.shuffle(order)
    for method in sampling.METHODS:
        for raw in (False, True):
            np.testing.assert_allclose(
                sampling.score(probs[:, order], method, raw=raw),
                sampling.score(probs, method, raw=raw),
                rtol=1e-12,
                atol=1e-12,
            )


@settings(max_examples=150, deadline=None)
@given(distributions())
def test_float32_agrees_with_float64(probs):
    f32 = probs.astype(np.float32)
    for method in sampling.METHODS:
        for engine in ENGINES:
            # float32 rounds each probability by ~6e-8; the scores move by at most a few times that
            # (ratio's p2/p1 can amplify it by 1/p1 <= n).
            np.testing.assert_allclose(
                _score(f32, method, False, engine=engine),
                _score(probs, method, False, engine=engine),
                atol=1e-5,
            )


@settings(max_examples=150, deadline=None)
@given(distributions(max_rows=50))
def test_numba_and_numpy_engines_give_the_same_numbers(probs):
    for method in sampling.METHODS:
        for raw in (False, True):
            np.testing.assert_allclose(
                _score(probs, method, raw, engine="numba"),
                _score(probs, method, raw, engine="numpy"),
                rtol=1e-12,
                atol=1e-15,
            )


@settings(max_examples=100, deadline=None)
@given(distributions(min_classes=2, max_classes=2))
def test_two_classes_every_method_ranks_alike(probs):
    # With two classes each method is a monotone function of p1: the orders agree.
    reference = sampling.least_confidence(probs)
    for method in ("margin", "ratio", "entropy"):
        other = sampling.score(probs, method)
        for i in range(len(reference)):
            for j in range(len(reference)):
                if reference[i] < reference[j] - 1e-9:
                    assert other[i] <= other[j] + 1e-9


def test_large_input_uses_the_fused_path_and_matches_numpy():
    rng = np.random.default_rng(0)
    probs = rng.random((60_000, 5))
    probs /= probs.sum(axis=1, keepdims=True)
    for method in sampling.METHODS:
        np.testing.assert_allclose(
            sampling.score(probs, method), _score(probs, method, False, engine="numpy"), rtol=1e-12
        )
        np.testing.assert_array_equal(
            sampling.rank(probs, 50, method),
            sampling.top_k(_score(probs, method, False, engine="numpy"), 50),
        )


# ---------------------------------------------------------------------------- top_k and rank
def test_top_k_highest_first_ties_to_lower_index():
    assert sampling.top_k([0.2, 0.9, 0.5, 0.9], 3).tolist() == [1, 3, 2]
    assert sampling.top_k([1.0, 1.0, 1.0, 1.0], 2).tolist() == [0, 1]
    assert sampling.top_k([0.1, 0.3, 0.3, 0.3, 0.2], 2).tolist() == [1, 2]
    assert sampling.top_k([0.5], 5).tolist() == [0]
    assert sampling.top_k([0.5, 0.7], 0).tolist() == []
    assert sampling.top_k([0.0, np.inf, -np.inf], 3).tolist() == [1, 0, 2]


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 300), elements=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])),
    st.integers(0, 310),
)
def test_top_k_equals_a_full_stable_sort(scores, k):
    expected = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    assert sampling.top_k(scores, k).tolist() == expected


def test_top_k_prefilter_is_exact_on_large_tied_input():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 500, size=200_000).astype(float)
    expected = np.lexsort((np.arange(scores.size), -scores))[:100]
    np.testing.assert_array_equal(sampling.top_k(scores, 100), expected)


def test_rank_is_top_k_of_score():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(4), size=500)
    for method in sampling.METHODS:
        np.testing.assert_array_equal(
            sampling.rank(probs, 20, method), sampling.top_k(sampling.score(probs, method), 20)
        )


def test_softmax_is_stable_and_sums_to_one():
    out = sampling.softmax([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]])
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0.0])
    # e^0, e^1, e^2 over their sum: 1/11.107, 2.718/11.107, 7.389/11.107
    np.testing.assert_allclose(out[1], [0.090031, 0.244728, 0.665241], atol=1e-6)
    hot = sampling.softmax([[0.0, 1.0]], temperature=0.01)
    assert hot[0, 1] > 0.999
    flat = sampling.softmax([[0.0, 1.0]], temperature=100.0)
    assert abs(flat[0, 0] - flat[0, 1]) < 0.01
    assert sampling.softmax([3.0, 3.0]).tolist() == [0.5, 0.5]


# ---------------------------------------------------------------------------- bad input
BAD = [
    ([0.5, 0.5], "Expected 2D array"),
    (np.zeros((2, 2, 2)), "got 3D array"),
    ([[1.0], [1.0]], "at least 2 classes"),
    ([[0.5, 0.5], [np.nan, 1.0]], "row 1 contains NaN or infinity"),
    ([[0.5, 0.5], [0.5, 0.5], [np.inf, 0.0]], "row 2 contains NaN or infinity"),
    ([[1.2, -0.2]], "row 0 contains a negative probability"),
    ([[0.5, 0.5], [0.6, 0.6]], "row 1 sums to 1.2"),
    ([["a", "b"]], "Expected a 2D array-like of numbers"),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("probs,message", BAD)
def test_bad_input_names_the_problem_and_row(probs, message, engine):
    for method in sampling.METHODS:
        with pytest.raises(ValueError, match=message):
            _score(probs, method, False, engine=engine)


def test_bad_row_found_in_a_large_array_on_the_fast_path():
    probs = np.full((100_000, 4), 0.25)
    probs[70_123, 2] = 0.3
    with pytest.raises(ValueError, match="row 70123 sums to 1.05"):
        sampling.rank(probs, 10, "margin")


def test_sum_tolerance_scales_with_classes():
    n = 10
    ok = np.full((1, n), 1.0 / n)
    ok[0, 0] += 0.9e-6 * n
    sampling.least_confidence(ok)  # within 1e-6 * n
    bad = np.full((1, n), 1.0 / n)
    bad[0, 0] += 2e-6 * n
    with pytest.raises(ValueError, match="row 0 sums to"):
        sampling.least_confidence(bad)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: sampling.score([[0.5, 0.5]], "confidence"), "one of least, margin, ratio, entropy"),
        (lambda: sampling.top_k([0.1, np.nan], 1), "entry 1 is NaN"),
        (lambda: sampling.top_k([[0.1]], 1), "Expected 1D array"),
        (lambda: sampling.top_k([0.1], -1), "k >= 0"),
        (lambda: sampling.top_k([0.1], 1.5), "whole number"),
        (lambda: sampling.rank([[0.5, 0.5]], "3"), "whole number"),
        (lambda: sampling.softmax([[0.0, 1.0]], temperature=0), "temperature > 0"),
        (lambda: sampling.softmax([[0.0, np.nan]]), "row 0 contains NaN"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_numpy_fallback_when_numba_is_disabled(monkeypatch):
    from hilt.sampling import uncertainty

    monkeypatch.setattr(uncertainty, "_numba_kernels", False)
    probs = np.full((300_000, 2), 0.5)
    np.testing.assert_array_equal(sampling.margin_confidence(probs)[:3], [1.0, 1.0, 1.0])


# ---------------------------------------------------------------- rank by entropy, pruned
# rank(P, k, "entropy") on a large pool takes logarithms only of rows that can make the top k
# (hilt.sampling._entropy_top_k). It must return exactly top_k(score(P, "entropy"), k).
from hilt.sampling import _entropy_top_k  # noqa: E402
from hilt.sampling.topk import _rank  # noqa: E402


def _softmax_rows(n, c, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=scale, size=(n, c))
    return sampling.softmax(logits)


def _expected_entropy_rank(probs, k, engine):
    return sampling.top_k(_score(probs, "entropy", False, engine=engine), k)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "n_classes,scale", [(10, 2.0), (3, 1.0), (2, 1.0), (40, 0.3)], ids=["peaked", "3", "2", "flat"]
)
def test_rank_entropy_equals_top_k_of_score(engine, dtype, n_classes, scale):
    probs = _softmax_rows(60_000, n_classes, scale, seed=n_classes).astype(dtype)
    for k in (1, 100, 2_999):
        np.testing.assert_array_equal(
            _rank(probs, k, "entropy", engine), _expected_entropy_rank(probs, k, engine)
        )


@pytest.mark.parametrize("engine", ENGINES)
def test_rank_entropy_keeps_exact_ties_in_index_order(engine):
    probs = _softmax_rows(60_000, 6, 2.0, seed=7)
    rng = np.random.default_rng(8)
    # 300 exactly uniform rows (entropy 1, the maximum) and 300 copies of one mixed row.
    rows = rng.choice(60_000, 600, replace=False)
    probs[rows[:300]] = 1.0 / 6.0
    probs[rows[300:]] = [0.3, 0.2, 0.2, 0.1, 0.1, 0.1]
    for k in (50, 300, 450):
        got = _rank(probs, k, "entropy", engine)
        np.testing.assert_array_equal(got, _expected_entropy_rank(probs, k, engine))
    # The top 300 are the uniform rows, all tied: in index order.
    np.testing.assert_array_equal(_rank(probs, 300, "entropy", engine), np.sort(rows[:300]))


@pytest.mark.parametrize("engine", ENGINES)
def test_rank_entropy_with_rows_off_by_the_sum_tolerance(engine):
    # Rows may sum to 1 +- 1e-6 n; the bounds must allow for it and still drop nothing needed.
    probs = _softmax_rows(60_000, 10, 2.0, seed=11)
    probs[::2] *= 1.0 + 0.9e-5
    probs[1::2] *= 1.0 - 0.9e-5
    np.testing.assert_array_equal(
        _rank(probs, 100, "entropy", engine), _expected_entropy_rank(probs, 100, engine)
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "row,value,message",
    [(54_321, np.nan, "row 54321 contains NaN"), (59_999, -0.1, "row 59999 contains a negative")],
)
def test_rank_entropy_still_validates_every_row(engine, row, value, message):
    probs = _softmax_rows(60_000, 10, 2.0, seed=12)
    probs[row, 3] = value
    with pytest.raises(ValueError, match=message):
        _rank(probs, 100, "entropy", engine)


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 12), st.floats(0.05, 5.0), st.integers(0, 2**32 - 1))
def test_entropy_bounds_hold(n_classes, concentration, seed):
    # Both bounds behind the pruning: the entropy of a row never exceeds the bound from its top
    # probability (Fano-type), and its L1 distance from uniform never exceeds the Pinsker limit
    # at its own entropy.
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(n_classes, concentration), size=50)
    entropy = _score(probs, "entropy", False, engine="numpy")
    for row, h in zip(probs, entropy):
        assert h <= _entropy_top_k.entropy_bound(float(row.max()), n_classes) + 1e-12
        spread = float(np.abs(row - 1.0 / n_classes).sum())
        assert spread <= _entropy_top_k._largest_spread_reaching(float(h), n_classes)


def test_entropy_pruning_runs_on_peaked_rows_and_gives_up_where_bounds_are_loose():
    from hilt.sampling.topk import _select

    peaked = _softmax_rows(60_000, 10, 2.0, seed=5)
    for engine in ENGINES:
        got = _entropy_top_k.entropy_top_k(peaked, 100, engine, _select)
        assert got is not None  # the bounds dropped rows: the fast path itself ran
        np.testing.assert_array_equal(got, _expected_entropy_rank(peaked, 100, engine))
    # 100 classes of N(0, 2) logits: the bounds would keep about half the rows; score them all.
    flat = _softmax_rows(60_000, 100, 2.0, seed=6)
    assert _entropy_top_k.entropy_top_k(flat, 100, "numba", _select) is None


def test_auto_engine_takes_warm_kernels_for_mid_sized_input(monkeypatch):
    from hilt.sampling import uncertainty
    from hilt.sampling.uncertainty import NUMBA_WARM_MIN_SIZE, resolve_engine

    sampling.warmup()
    mid = np.full((NUMBA_WARM_MIN_SIZE // 2, 2), 0.5)
    assert resolve_engine(mid, "auto") == "numba"
    assert resolve_engine(mid.astype(np.float32), "auto") == "numba"
    assert resolve_engine(mid[:100], "auto") == "numpy"
    assert resolve_engine(mid, "numpy") == "numpy"
    # Kernels compiled earlier must not override numba being disabled afterwards.
    monkeypatch.setattr(uncertainty, "_numba_kernels", False)
    assert resolve_engine(mid, "auto") == "numpy"
    assert resolve_engine(np.full((300_000, 2), 0.5), "auto") == "numpy"
    np.testing.assert_array_equal(sampling.rank(np.full((300_000, 2), 0.5), 2, "entropy"), [0, 1])


# ------------------------------------------------- threads on a busy machine
# A large call runs on one thread per free core (hilt.sampling._scheduling): a parallel loop
# waits for its thread on a core another process holds. Serial or parallel, same bits.
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from hilt.sampling import _scheduling  # noqa: E402


def _kernels():
    from hilt.sampling.uncertainty import _fast_kernels

    sampling.warmup()
    return _fast_kernels()


def _awkward_rows(dtype):
    """Peaked, flat, one-hot, tied and invalid rows: every branch of every row function."""
    rng = np.random.default_rng(11)
    probs = np.concatenate([_softmax_rows(3_000, 7, 2.0, seed=1), _softmax_rows(3_000, 7, 0.1, seed=2)])
    probs[::97] = np.eye(7)[rng.integers(0, 7, size=probs[::97].shape[0])]
    probs[5::101] = 1.0 / 7.0
    probs[7] = [0.3, 0.3, 0.1, 0.1, 0.1, 0.1, 0.0]
    probs[11, 0] = np.nan
    probs[13, 1] = -0.1
    probs[17] *= 1.01
    return probs.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_serial_and_parallel_loops_give_the_same_bits(dtype):
    kernels = _kernels()
    probs = _awkward_rows(dtype)
    threads = kernels.numba.get_num_threads()
    tol = 1e-6 * 7
    for name, kernel in kernels.KERNELS.items():
        for raw in (False, True):
            serial = kernel.serial(probs, raw, tol)
            parallel = _scheduling.run_parallel(kernel.parallel, (probs, raw, tol), threads, threads)
            assert np.isnan(serial[[11, 13, 17]]).all(), name
            np.testing.assert_array_equal(serial, parallel, err_msg=f"{name} raw={raw}")
    for p_max, spread_max in ((0.6, 0.9), (1.0, 2.0), (0.2, 0.1)):
        args = (probs, tol, p_max, spread_max, -1.0)
        serial = kernels.entropy_pruned.serial(*args)
        parallel = _scheduling.run_parallel(kernels.entropy_pruned.parallel, args, threads, threads)
        np.testing.assert_array_equal(serial, parallel)


def test_choose_threads_leaves_taken_cores_alone():
    big = 10_000_000
    assert _scheduling.choose_threads(big, 2, 2, 0) == 2
    assert _scheduling.choose_threads(big, 2, 2, 1) == 1  # one of two cores taken
    assert _scheduling.choose_threads(big, 2, 2, 5) == 1  # never fewer than one
    assert _scheduling.choose_threads(big, 8, 8, 3) == 5
    assert _scheduling.choose_threads(big, 4, 16, 2) == 4  # at most numba's threads
    assert _scheduling.choose_threads(big, 2, 2, None) == 2  # nothing known: as before
    assert _scheduling.choose_threads(_scheduling.PARALLEL_MIN_SIZE - 1, 2, 2, 0) == 1


def _count_parallel_calls(monkeypatch):
    calls = []
    real = _scheduling.run_parallel

    def spy(kernel, args, threads, max_threads):
        calls.append(threads)
        return real(kernel, args, threads, max_threads)

    monkeypatch.setattr(_scheduling, "run_parallel", spy)
    monkeypatch.setattr(_scheduling, "usable_cpus", lambda: 2)
    monkeypatch.setattr(_scheduling, "_own_workers_running", lambda: 0)
    return calls


@pytest.mark.parametrize("method", sampling.METHODS)
def test_a_taken_core_makes_large_calls_serial_with_the_same_result(monkeypatch, method):
    kernels = _kernels()
    if kernels.numba.get_num_threads() < 2:
        pytest.fail("these tests need numba to have 2 threads or more")
    probs = _softmax_rows(_scheduling.PARALLEL_MIN_SIZE // 10 + 1_000, 10, 2.0, seed=3)
    expected_scores = _score(probs, method, False, engine="numpy")
    expected_rank = sampling.top_k(expected_scores, 100)
    calls = _count_parallel_calls(monkeypatch)
    monkeypatch.setattr(_scheduling, "_read_running", lambda: 2)  # the caller + one other task
    np.testing.assert_allclose(sampling.score(probs, method), expected_scores, rtol=1e-12)
    np.testing.assert_array_equal(sampling.rank(probs, 100, method), expected_rank)
    assert calls == []
    monkeypatch.setattr(_scheduling, "_read_running", lambda: 1)  # only the caller
    serial_bits = sampling.score(probs, method)  # (parallel now)
    assert calls == [2]
    monkeypatch.setattr(_scheduling, "_read_running", lambda: 3)
    np.testing.assert_array_equal(sampling.score(probs, method), serial_bits)
    np.testing.assert_array_equal(sampling.rank(probs, 100, method), expected_rank)
    assert calls == [2]


def test_small_calls_never_read_the_load(monkeypatch):
    _kernels()
    calls = _count_parallel_calls(monkeypatch)

    def unreadable():
        raise AssertionError("a small call read /proc/loadavg")

    monkeypatch.setattr(_scheduling, "_read_running", unreadable)
    probs = _softmax_rows(20_000, 10, 2.0, seed=4)  # 200,000 entries: numba, serial
    np.testing.assert_allclose(
        sampling.score(probs, "margin"), _score(probs, "margin", False, engine="numpy"), rtol=1e-12
    )
    assert calls == []


def test_own_spinning_workers_are_not_counted_as_load():
    kernels = _kernels()
    threads = kernels.numba.get_num_threads()
    probs = np.full((4, 3), 1.0 / 3.0)
    _scheduling.run_parallel(kernels.least_confidence.parallel, (probs, False, 1e-5), threads, threads)
    workers = set(_scheduling._local.workers)
    tasks = {int(t) for t in os.listdir("/proc/self/task")}
    assert len(workers) >= threads - 1
    assert workers <= tasks and threading.get_native_id() not in workers


def test_running_workers_are_read_from_their_stat_files(monkeypatch, tmp_path):
    # A command name may hold spaces and parentheses: the state letter follows the last ")".
    for tid, stat in ((111, "111 (py (x) y) R 1 2"), (222, "222 (python) S 1 2"), (333, "333 (a) R 1")):
        (tmp_path / str(tid)).mkdir()
        (tmp_path / str(tid) / "stat").write_text(stat)
    monkeypatch.setattr(_scheduling, "_TASKS", str(tmp_path))
    monkeypatch.setattr(_scheduling._local, "workers", (111, 222, 444), raising=False)  # 444: gone
    monkeypatch.setattr(_scheduling, "_read_running", lambda: 3)
    assert _scheduling._own_workers_running() == 1
    assert _scheduling.other_running() == 1  # 3 runnable - the caller - worker 111
    monkeypatch.setattr(_scheduling, "_read_running", lambda: None)  # no /proc/loadavg
    assert _scheduling.other_running() is None


def test_a_core_held_by_another_process_is_left_alone():
    kernels = _kernels()
    if _scheduling.usable_cpus() < 2 or kernels.numba.get_num_threads() < 2:
        pytest.fail("this test needs 2 cores and 2 numba threads")
    probs = _softmax_rows(200_000, 10, 2.0, seed=8)
    quiet = {m: sampling.score(probs, m) for m in sampling.METHODS}
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10.0
        while _scheduling.other_running() < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        threads = _scheduling.threads_for(probs.size, kernels.numba.get_num_threads())
        assert threads <= _scheduling.usable_cpus() - 1
        for method in sampling.METHODS:
            np.testing.assert_array_equal(sampling.score(probs, method), quiet[method])
    finally:
        spinner.kill()
        spinner.wait()
