"""Multi-label uncertainty: each seed method per label on [p, 1 - p], combined by mean or max."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hilt import sampling
from hilt.sampling import _scheduling
from hilt.sampling.multilabel import _score, resolve_engine
from hilt.sampling.uncertainty import _score as single_score

ENGINES = ("numpy", "numba")

# One row worked by hand: p = (0.5, 0.75, 1.0, 0.0, 0.25); p1 = max(p, 1 - p) = (0.5, 0.75, 1, 1, 0.75).
ROW = [[0.5, 0.75, 1.0, 0.0, 0.25]]
H_QUARTER = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))  # 0.311278 + 0.5 = 0.811278 bits
PER_LABEL = {
    # 2 (1 - p1): 2 * (0.5, 0.25, 0, 0, 0.25)
    "least": [1.0, 0.5, 0.0, 0.0, 0.5],
    # 1 - (p1 - p2): 1 - (0, 0.5, 1, 1, 0.5)
    "margin": [1.0, 0.5, 0.0, 0.0, 0.5],
    # p2 / p1: 0.5/0.5, 0.25/0.75, 0/1, 0/1, 0.25/0.75
    "ratio": [1.0, 1 / 3, 0.0, 0.0, 1 / 3],
    # -(p1 log2 p1 + p2 log2 p2): 1 bit at 0.5, 0.811278 at 0.25/0.75, 0 at 0 and 1
    "entropy": [1.0, H_QUARTER, 0.0, 0.0, H_QUARTER],
}


@pytest.mark.parametrize("method", sampling.METHODS)
@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_values(method, engine):
    np.testing.assert_allclose(sampling.per_label_scores(ROW, method)[0], PER_LABEL[method], atol=1e-15)
    expected = PER_LABEL[method]
    # least: (1 + 0.5 + 0 + 0 + 0.5) / 5 = 0.4; ratio: (1 + 2/3) / 5 = 0.3333; entropy: (1 + 1.622556) / 5
    np.testing.assert_allclose(_score(ROW, method, "mean", engine), [sum(expected) / 5], rtol=1e-12)
    np.testing.assert_allclose(_score(ROW, method, "max", engine), [1.0], rtol=1e-12)  # the p = 0.5 label
    without_half = [row[1:] for row in ROW]
    np.testing.assert_allclose(_score(without_half, method, "max", engine), [max(expected[1:])], rtol=1e-12)


def test_public_functions_agree():
    probs = np.random.default_rng(0).random((50, 4))
    for method in sampling.METHODS:
        for combine in sampling.COMBINES:
            scores = sampling.multilabel_score(probs, method, combine)
            np.testing.assert_allclose(scores, _score(probs, method, combine, "numpy"), rtol=1e-12)
            np.testing.assert_array_equal(sampling.multilabel_rank(probs, 7, method, combine),
                                          sampling.top_k(scores, 7))


probabilities = arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 8)),
                       elements=st.floats(0.0, 1.0, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(0.0, 1.0, allow_nan=False)))
def test_one_label_equals_the_single_label_function_on_the_two_column_matrix(p):
    two_columns = np.column_stack([p, 1.0 - p])
    for method in sampling.METHODS:
        for engine in ENGINES:
            expected = single_score(two_columns, method, False, engine=engine)
            for combine in sampling.COMBINES:
                np.testing.assert_allclose(_score(p[:, None], method, combine, engine), expected,
                                           rtol=1e-12, atol=1e-15, err_msg=f"{method} {combine} {engine}")


@settings(max_examples=60, deadline=None)
@given(probabilities, st.randoms(use_true_random=False))
def test_scores_lie_in_0_1_ignore_label_order_and_max_is_at_least_mean(probs, random):
    order = list(range(probs.shape[1]))
    random.shuffle(order)
    for method in sampling.METHODS:
        for engine in ENGINES:
            mean = _score(probs, method, "mean", engine)
            top = _score(probs, method, "max", engine)
            assert ((mean >= 0) & (mean <= 1) & (top >= 0) & (top <= 1)).all()
            assert (top >= mean - 1e-12).all()
            np.testing.assert_allclose(_score(probs[:, order], method, "mean", engine), mean, rtol=1e-12, atol=1e-15)
            np.testing.assert_array_equal(_score(probs[:, order], method, "max", engine), top)


@settings(max_examples=40, deadline=None)
@given(probabilities)
def test_numba_and_numpy_give_the_same_numbers_and_a_label_at_p_is_one_at_1_minus_p(probs):
    for method in sampling.METHODS:
        for combine in sampling.COMBINES:
            numpy = _score(probs, method, combine, "numpy")
            np.testing.assert_allclose(_score(probs, method, combine, "numba"), numpy, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(_score(1.0 - probs, method, combine, "numpy"), numpy, rtol=1e-9, atol=1e-12)


def test_float32_and_ints_are_accepted():
    probs = np.array([[0.5, 0.25], [1.0, 0.0]])
    for engine in ENGINES:
        np.testing.assert_allclose(_score(probs.astype(np.float32), "entropy", "mean", engine),
                                   _score(probs, "entropy", "mean", engine), rtol=1e-6)
        np.testing.assert_array_equal(_score([[1, 0]], "margin", "mean", engine), [0.0])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "probs,message",
    [
        ([0.5, 0.5], "2D array"),
        (np.zeros((2, 0)), "at least 1 label"),
        ([[0.5, np.nan]], "row 0 contains NaN"),
        ([[0.5, 0.5], [0.2, 1.5]], "row 1 has a probability outside"),
        ([[0.5, 0.5], [-0.1, 0.5], [2.0, 0.5]], r"row 1 .*\(1 more bad rows after it\)"),
        ([["a", "b"]], "numpy cannot read"),
    ],
)
def test_bad_input_names_the_problem_and_row(probs, message, engine):
    with pytest.raises(ValueError, match=message):
        _score(probs, "margin", "mean", engine)


def test_bad_arguments():
    with pytest.raises(ValueError, match="combine to be one of mean, max"):
        sampling.multilabel_score([[0.5]], "margin", "median")
    with pytest.raises(ValueError, match="method to be one of"):
        sampling.multilabel_score([[0.5]], "maximum")
    with pytest.raises(ValueError, match="engine"):
        _score([[0.5]], "margin", "mean", "gpu")
    with pytest.raises(ValueError, match="cardinality to be a number >= 0"):
        sampling.cardinality_inconsistency([[0.5]], -1)


def test_a_bad_row_in_a_large_array_is_found_on_the_fast_path():
    probs = np.full((300_000, 3), 0.5)
    probs[123_456, 2] = 1.0000001
    assert resolve_engine(probs, "auto") == "numba"
    with pytest.raises(ValueError, match="row 123456 has a probability outside"):
        sampling.multilabel_score(probs, "entropy")


def test_serial_and_parallel_loops_give_the_same_bits():
    from hilt.sampling.uncertainty import _fast_kernels

    sampling.warmup()
    kernel = _fast_kernels().multilabel
    rng = np.random.default_rng(3)
    probs = rng.random((20_000, 7))
    probs[::50] = np.round(probs[::50])  # exact 0 and 1
    probs[7, 3] = np.nan
    probs[9, 0] = -0.5
    threads = _fast_kernels().numba.get_num_threads()
    for dtype in (np.float64, np.float32):
        array = probs.astype(dtype)
        for code in range(4):
            for use_max in (False, True):
                serial = kernel.serial(array, code, use_max)
                parallel = _scheduling.run_parallel(kernel.parallel, (array, code, use_max), threads, threads)
                assert np.isnan(serial[[7, 9]]).all() and not np.isnan(np.delete(serial, [7, 9])).any()
                np.testing.assert_array_equal(serial, parallel)


def test_warm_kernels_serve_mid_sized_input():
    sampling.warmup()
    mid = np.full((6_000, 2), 0.5)
    assert resolve_engine(mid, "auto") == "numba"
    assert resolve_engine(mid[:100], "auto") == "numpy"
    assert resolve_engine(mid, "numpy") == "numpy"


def test_cardinality_inconsistency_by_hand():
    probs = [[0.9, 0.8, 0.1], [0.2, 0.1, 0.3], [0.6, 0.1, 0.5]]  # predicted sets of 2, 0 and 2 labels
    np.testing.assert_array_equal(sampling.cardinality_inconsistency(probs, 1.0), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(sampling.cardinality_inconsistency(probs, 2.0), [0.0, 2.0, 0.0])
