"""hilt.features: the registry, each featurizer against the library it wraps, the blocks and their
checks, the offline sentence embeddings (chunks, progress, cancelling) and a user's transformer.

Projects, the CLI, the learner and ``hilt simulate`` over these featurizers are tested in
test_project_features.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import hilt.features.embeddings as embeddings_module
from hilt.errors import InputError
from hilt.features.blocks import FeatureBlocks
from hilt.features import (
    DEFAULT_FEATURES,
    FEATURIZERS,
    EmbeddingFeatures,
    Featurizer,
    ScaleFeatures,
    TfidfEmbeddingFeatures,
    TfidfFeatures,
    TransformerFeatures,
    check_rows,
    describe,
    get_featurizer,
    names_for,
)
from hilt.features.embeddings import WordLlamaEmbedder

TEXTS = [
    "A warm, funny film with a big heart.",
    "Dull and far too long.",
    "The cast is wonderful and the script sings.",
    "I checked my watch every five minutes.",
    "A delight from start to finish.",
    "Lifeless, joyless and loud.",
    "Smart, tender and beautifully shot.",
]
NEW_TEXTS = ["A wonderful, funny delight.", "Too loud and too long, with words never seen: zyxxyq."]
TABLE = np.array([[1.0, 10.0, -3.0], [2.0, 30.0, -1.0], [4.0, 20.0, 5.0], [7.0, 0.0, 2.0]])


def row_norms(X) -> np.ndarray:
    X = X.toarray() if sp.issparse(X) or isinstance(X, FeatureBlocks) else np.asarray(X)
    return np.sqrt((X.astype(np.float64) ** 2).sum(axis=1))


def double(X):
    """A module-level function, as a user's FunctionTransformer would name one."""
    return np.asarray(X, dtype=np.float64) * 2


# --- the registry ----------------------------------------------------------------------------


def test_registry_names_and_the_default_per_kind():
    assert list(FEATURIZERS) == ["tfidf", "embeddings", "tfidf+embeddings", "scale"]
    assert DEFAULT_FEATURES == {"text": "tfidf+embeddings", "table": "scale"}
    assert names_for("text") == ["tfidf", "embeddings", "tfidf+embeddings"]
    assert names_for("table") == ["scale"]
    assert all(f"{name}: " in describe() for name in FEATURIZERS)
    assert isinstance(get_featurizer(None, "text"), TfidfEmbeddingFeatures)
    assert isinstance(get_featurizer(None, "table"), ScaleFeatures)
    # Names are forgiving about case and spaces; every call makes a fresh, unfitted featurizer.
    assert isinstance(get_featurizer(" TFIDF ", "text"), TfidfFeatures)
    assert get_featurizer("tfidf", "text") is not get_featurizer("tfidf", "text")
    # A featurizer passed in is used as it is; any other object is a user's transformer.
    mine = TfidfFeatures(max_features=5)
    assert get_featurizer(mine, "text") is mine
    assert isinstance(get_featurizer(CountVectorizer(), "text"), TransformerFeatures)


def test_an_unknown_name_lists_the_valid_names():
    with pytest.raises(InputError) as caught:
        get_featurizer("bogus", "text")
    message = str(caught.value)
    assert "'bogus'" in message
    assert "tfidf, embeddings, tfidf+embeddings, scale" in message


@pytest.mark.parametrize(
    "name, kind, message",
    [
        ("embeddings", "table", "Expected features for table items (scale); got 'embeddings', which works on text items only."),
        ("tfidf+embeddings", "table", "got 'tfidf+embeddings', which works on text items only."),
        ("tfidf", "table", "got 'tfidf', which works on text items only."),
        ("scale", "text", "Expected features for text items (tfidf, embeddings, tfidf+embeddings); got 'scale', "
                          "which works on table items only."),
    ],
)
def test_a_featurizer_for_the_other_kind_of_items_is_an_input_error(name, kind, message):
    with pytest.raises(InputError) as caught:
        get_featurizer(name, kind)
    assert message in str(caught.value)


def test_an_unknown_kind_or_a_non_transformer_is_an_input_error():
    with pytest.raises(InputError, match="'text' or 'table', got 'image'"):
        get_featurizer("tfidf", "image")
    with pytest.raises(InputError, match="featurizer name or a scikit-learn transformer.*got object"):
        get_featurizer(object(), "text")


def test_spec_names_the_featurizer_its_params_and_the_library_version():
    import sklearn

    spec = TfidfFeatures().spec()
    assert set(spec) == {"name", "params", "version"}
    assert spec["name"] == "tfidf"
    assert spec["params"]["max_features"] == 200_000 and spec["params"]["sublinear_tf"] is True
    assert spec["version"] == f"scikit-learn {sklearn.__version__}"
    assert EmbeddingFeatures().spec()["params"] == {"model": "l2_supercat", "dim": 256}
    assert EmbeddingFeatures().spec()["version"].startswith("wordllama ")
    both = TfidfEmbeddingFeatures().spec()
    assert both["params"]["embedding_weight"] == 0.7
    assert "scikit-learn" in both["version"] and "wordllama" in both["version"]
    # A spec is what a project records: it must survive JSON unchanged.
    for name in FEATURIZERS:
        spec = FEATURIZERS[name][0]().spec()
        assert json.loads(json.dumps(spec)) == spec


def test_spec_differs_between_featurizers_and_between_parameters():
    specs = [
        TfidfFeatures().spec(), TfidfFeatures(max_features=1000).spec(),
        EmbeddingFeatures().spec(), EmbeddingFeatures(dim=64).spec(),
        TfidfEmbeddingFeatures().spec(), TfidfEmbeddingFeatures(embedding_weight=1.0).spec(),
        ScaleFeatures().spec(),
        TransformerFeatures(CountVectorizer()).spec(), TransformerFeatures(CountVectorizer(binary=True)).spec(),
        TransformerFeatures(TfidfVectorizer()).spec(),
    ]
    texts = [json.dumps(spec, sort_keys=True) for spec in specs]
    assert len(set(texts)) == len(texts)
    # ... and is the same for the same configuration.
    assert TfidfFeatures(1000).spec() == TfidfFeatures(1000).spec()
    assert TransformerFeatures(CountVectorizer(binary=True)).spec() == TransformerFeatures(CountVectorizer(binary=True)).spec()


def test_a_user_transformers_spec_is_the_same_in_every_process():
    """The cache key: a function parameter is named by module and name, not by its memory address
    (which differs in every process, so the cache would be rebuilt on every open)."""
    twin = types.FunctionType(double.__code__, double.__globals__, "double")
    twin.__qualname__ = double.__qualname__
    assert twin is not double and repr(twin) != repr(double)
    assert (TransformerFeatures(FunctionTransformer(twin)).spec()
            == TransformerFeatures(FunctionTransformer(double)).spec())
    assert (TransformerFeatures(make_pipeline(FunctionTransformer(twin), StandardScaler())).spec()
            == TransformerFeatures(make_pipeline(FunctionTransformer(double), StandardScaler())).spec())
    # A different function, or a different parameter deep inside a pipeline, is another key.
    assert (TransformerFeatures(FunctionTransformer(np.nan_to_num)).spec()
            != TransformerFeatures(FunctionTransformer(double)).spec())
    assert (TransformerFeatures(make_pipeline(FunctionTransformer(double), StandardScaler(with_mean=False))).spec()
            != TransformerFeatures(make_pipeline(FunctionTransformer(double), StandardScaler())).spec())
    # A set parameter does not depend on the process's string hashing either.
    assert (TransformerFeatures(CountVectorizer(stop_words={"a", "the", "and", "of"})).spec()
            == TransformerFeatures(CountVectorizer(stop_words={"of", "and", "the", "a"})).spec())


# --- TF-IDF and scaling: the numbers of the library they wrap -----------------------------------


def test_tfidf_equals_scikit_learns_vectorizer_in_float32():
    expected = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 1), min_df=1, max_features=200_000)
    want = expected.fit_transform(TEXTS)
    featurizer = TfidfFeatures()
    got = featurizer.fit_transform(TEXTS)
    assert sp.issparse(got) and got.format == "csr"
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got.toarray(), want.toarray().astype(np.float32))
    np.testing.assert_allclose(row_norms(got), 1.0, rtol=1e-6)
    # New items go through what was learnt (unknown words are dropped, not added).
    new = featurizer.transform(NEW_TEXTS)
    np.testing.assert_array_equal(new.toarray(), expected.transform(NEW_TEXTS).toarray().astype(np.float32))
    assert new.shape == (2, want.shape[1])


def test_tfidf_max_features_keeps_the_most_frequent_words():
    got = TfidfFeatures(max_features=4).fit_transform(TEXTS)
    want = TfidfVectorizer(sublinear_tf=True, max_features=4).fit_transform(TEXTS)
    assert got.shape == (len(TEXTS), 4)
    np.testing.assert_array_equal(got.toarray(), want.toarray().astype(np.float32))


def test_tfidf_takes_arrays_series_and_missing_texts():
    import pandas as pd

    items = pd.Series(["good film", None, "bad film"])
    got = TfidfFeatures().fit_transform(items)
    want = TfidfVectorizer(sublinear_tf=True).fit_transform(["good film", "", "bad film"])
    np.testing.assert_array_equal(got.toarray(), want.toarray().astype(np.float32))
    assert row_norms(got)[1] == 0.0  # a missing text is the empty text: a zero row


def test_scale_equals_scikit_learns_standard_scaler_in_float32():
    scaler = StandardScaler()
    want = scaler.fit_transform(TABLE)
    featurizer = ScaleFeatures()
    got = featurizer.fit_transform(TABLE.tolist())  # a list of rows is a table too
    assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_allclose(got.mean(axis=0), 0.0, atol=1e-6)
    new = np.array([[3.0, 15.0, 0.0]])
    np.testing.assert_array_equal(featurizer.transform(new), scaler.transform(new).astype(np.float32))


def test_featurizers_are_scikit_learn_transformers():
    """A featurizer may be the first step of a pipeline (y is ignored: features never see labels)."""
    from sklearn.linear_model import LogisticRegression

    y = [1, 0, 1, 0, 1, 0, 1]
    model = make_pipeline(TfidfFeatures(), LogisticRegression()).fit(TEXTS, y)
    assert model.predict_proba(NEW_TEXTS).shape == (2, 2)
    assert ScaleFeatures().fit(TABLE).transform(TABLE).shape == TABLE.shape
    from sklearn.base import clone

    assert clone(TfidfEmbeddingFeatures(embedding_weight=0.5)).spec() == TfidfEmbeddingFeatures(embedding_weight=0.5).spec()


# --- embeddings --------------------------------------------------------------------------------


def test_embeddings_are_256_unit_float32_rows_and_deterministic():
    first = EmbeddingFeatures().fit_transform(TEXTS)
    again = EmbeddingFeatures().fit_transform(TEXTS)
    assert isinstance(first, np.ndarray)
    assert first.shape == (len(TEXTS), 256) and first.dtype == np.float32
    np.testing.assert_allclose(row_norms(first), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, again)
    # Different texts are different rows, and similar texts closer than unrelated ones.
    assert len({row.tobytes() for row in first}) == len(TEXTS)
    good, delight, dull = EmbeddingFeatures().transform(["a good film", "a delightful film", "a dull film"])
    assert good @ delight > 0.5 and good @ dull < 1.0


def test_embedding_an_empty_or_blank_text_gives_a_finite_row():
    got = EmbeddingFeatures().fit_transform(["", "   ", "zzqxj", "a good film"])
    assert got.shape == (4, 256)
    assert np.isfinite(got).all()
    assert (row_norms(got) <= 1.0 + 1e-5).all()
    assert EmbeddingFeatures().fit_transform([]).shape == (0, 256)


def test_a_smaller_embedding_dimension_and_a_bad_one():
    got = EmbeddingFeatures(dim=64).fit_transform(TEXTS[:3])
    assert got.shape == (3, 64) and got.dtype == np.float32
    np.testing.assert_allclose(row_norms(got), 1.0, rtol=1e-5)
    with pytest.raises(InputError, match="64, 128 or 256; got 100"):
        WordLlamaEmbedder(dim=100)


def test_embedding_in_chunks_reports_progress_and_equals_one_chunk(monkeypatch):
    texts = [f"{text} ({i})" for i, text in enumerate(TEXTS * 2)][:13]
    whole = WordLlamaEmbedder().embed(texts)
    monkeypatch.setattr(embeddings_module, "CHUNK", 5)
    calls: list[tuple[int, int]] = []
    chunked = WordLlamaEmbedder().embed(texts, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 13), (10, 13), (13, 13)]
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)
    # The featurizers pass progress through (tfidf+embeddings reports its embedding part).
    calls.clear()
    EmbeddingFeatures().fit_matrix(texts, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 13), (10, 13), (13, 13)]
    calls.clear()
    TfidfEmbeddingFeatures().fit_matrix(texts, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 13), (10, 13), (13, 13)]


def test_cancelling_stops_the_build_between_chunks(monkeypatch):
    monkeypatch.setattr(embeddings_module, "CHUNK", 3)
    calls: list[tuple[int, int]] = []
    with pytest.raises(InterruptedError, match="cancelled"):
        WordLlamaEmbedder().embed(TEXTS, progress=lambda done, total: calls.append((done, total)),
                                  cancelled=lambda: len(calls) >= 1)
    assert calls == [(3, 7)]  # one chunk done, then asked, then stopped
    with pytest.raises(InterruptedError):
        TfidfEmbeddingFeatures().fit_blocks(TEXTS, cancelled=lambda: True)


def test_tfidf_plus_embeddings_is_tfidf_beside_0_7_times_the_embeddings():
    featurizer = TfidfEmbeddingFeatures()
    blocks = featurizer.fit_blocks(TEXTS)
    assert len(blocks) == 2
    tfidf_block, embedding_block = blocks
    assert sp.issparse(tfidf_block) and tfidf_block.dtype == np.float32
    assert isinstance(embedding_block, np.ndarray) and embedding_block.dtype == np.float32
    assert embedding_block.shape == (len(TEXTS), 256)
    np.testing.assert_array_equal(tfidf_block.toarray(), TfidfFeatures().fit_transform(TEXTS).toarray())
    np.testing.assert_array_equal(embedding_block, np.float32(0.7) * EmbeddingFeatures().fit_transform(TEXTS))
    np.testing.assert_allclose(row_norms(tfidf_block), 1.0, rtol=1e-5)
    np.testing.assert_allclose(row_norms(embedding_block), 0.7, rtol=1e-5)

    X = featurizer.fit_matrix(TEXTS)
    width = tfidf_block.shape[1]
    # Kept as blocks (embeddings 4 bytes a value, not 8 inside a CSR matrix); rows join on demand.
    assert isinstance(X, FeatureBlocks) and X.dtype == np.float32
    assert X.shape == (len(TEXTS), width + 256)
    rows = X[[3, 0]]
    assert isinstance(rows, FeatureBlocks) and rows.shape == (2, X.shape[1])
    joined_rows = rows.tocsr()
    assert sp.issparse(joined_rows) and joined_rows.format == "csr" and joined_rows.dtype == np.float32
    np.testing.assert_array_equal(joined_rows.toarray(), np.hstack([tfidf_block.toarray(), embedding_block])[[3, 0]])
    np.testing.assert_array_equal(X.toarray(), np.hstack([tfidf_block.toarray(), embedding_block]))
    np.testing.assert_allclose(row_norms(X), np.sqrt(1.0 + 0.49), rtol=1e-5)
    # New items: the same vocabulary, the same weight.
    new = featurizer.transform_matrix(NEW_TEXTS)
    assert new.shape == (2, width + 256)
    # scikit-learn's protocol gives one CSR matrix, so that a pipeline's next step can read it.
    joined = featurizer.transform(NEW_TEXTS)
    assert sp.issparse(joined) and joined.format == "csr"
    np.testing.assert_array_equal(joined.toarray(), new.toarray())
    np.testing.assert_allclose(row_norms(new.toarray()[:, width:]), 0.7, rtol=1e-5)


def test_the_embedding_weight_is_a_parameter():
    X = TfidfEmbeddingFeatures(embedding_weight=0.25).fit_blocks(TEXTS)[1]
    np.testing.assert_allclose(row_norms(X), 0.25, rtol=1e-5)


def test_set_params_changes_what_is_computed_and_the_spec():
    """scikit-learn's set_params (as a grid search uses it) must reach the parts a featurizer
    is made of, and the spec (the cache key) must say what was computed."""
    both = TfidfEmbeddingFeatures().set_params(max_features=3, dim=64, embedding_weight=0.5)
    assert both.spec() == TfidfEmbeddingFeatures(max_features=3, dim=64, embedding_weight=0.5).spec()
    tfidf_block, embedding_block = both.fit_blocks(TEXTS)
    assert tfidf_block.shape == (len(TEXTS), 3) and embedding_block.shape == (len(TEXTS), 64)
    np.testing.assert_allclose(row_norms(embedding_block), 0.5, rtol=1e-5)
    assert both.transform(NEW_TEXTS).shape == (2, 3 + 64)
    embeddings = EmbeddingFeatures().set_params(dim=128)
    assert embeddings.spec()["params"]["dim"] == 128
    assert embeddings.fit_transform(TEXTS[:2]).shape == (2, 128)
    assert TfidfFeatures().set_params(max_features=2).fit_transform(TEXTS).shape == (len(TEXTS), 2)


# --- blocks and their checks -------------------------------------------------------------------


def test_join_keeps_one_block_as_it_is_and_puts_several_side_by_side():
    dense = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert Featurizer.join([dense]) is dense
    sparse = sp.csr_matrix(np.eye(3, dtype=np.float32))
    joined = Featurizer.join([sparse, dense])
    assert isinstance(joined, FeatureBlocks) and joined.blocks[1] is dense and joined.dtype == np.float32
    np.testing.assert_array_equal(joined.toarray(), np.hstack([np.eye(3), dense]))
    whole = joined.tocsr()
    assert sp.issparse(whole) and whole.format == "csr" and whole.dtype == np.float32


@pytest.mark.parametrize(
    "value, message",
    [
        (np.ones((4, 2)), "Expected featurizer 'mine' to return one row per item (5 rows); got 4 rows."),
        (sp.csr_matrix(np.ones((6, 2))), "one row per item (5 rows); got 6 rows."),
        (np.ones(5), "Expected featurizer 'mine' to return a 2D matrix with one row per item; got ndarray of shape (5,)."),
        (np.ones((5, 2, 2)), "got ndarray of shape (5, 2, 2)"),
        ([[1.0]] * 5, "got list."),
        (np.array([["a", "b"]] * 5), "Expected featurizer 'mine' to return numbers"),
    ],
)
def test_check_rows_names_the_featurizer_and_the_numbers(value, message):
    with pytest.raises(InputError) as caught:
        check_rows(value, 5, "mine")
    assert message in str(caught.value)


def test_check_rows_finds_nan_and_infinity_and_says_where():
    X = np.ones((5, 3))
    X[3, 1] = np.nan
    X[4, 0] = np.inf
    with pytest.raises(InputError, match=r"featurizer 'mine' to return finite numbers; got NaN or infinity \(first in row 3\)"):
        check_rows(X, 5, "mine")
    S = sp.csr_matrix(np.eye(5))
    S.data[2] = np.inf
    with pytest.raises(InputError, match="featurizer 'mine' to return finite numbers"):
        check_rows(S, 5, "mine")


def test_check_rows_returns_float32_csr_or_c_ordered_arrays():
    dense = check_rows(np.asfortranarray(np.ones((3, 2), dtype=np.float64)), 3, "x")
    assert dense.dtype == np.float32 and dense.flags.c_contiguous
    sparse = check_rows(sp.coo_matrix(np.eye(3)), 3, "x")
    assert sparse.format == "csr" and sparse.dtype == np.float32


def _matrices():
    """(n_items, a matrix, whether it should pass): right or wrong row counts, finite or not."""
    return st.tuples(
        st.integers(0, 8), st.integers(0, 8), st.integers(1, 5), st.booleans(), st.booleans(),
        st.sampled_from([np.nan, np.inf, -np.inf]), st.integers(0, 10_000),
    )


@settings(max_examples=150, deadline=None)
@given(_matrices())
def test_check_rows_accepts_exactly_finite_matrices_with_one_row_per_item(case):
    n_items, n_rows, width, sparse, poison, bad, seed = case
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, width))
    if poison and n_rows:
        X[rng.integers(n_rows), rng.integers(width)] = bad
    should_pass = n_rows == n_items and not (poison and n_rows)
    value = sp.csr_matrix(X) if sparse else X
    if should_pass:
        out = check_rows(value, n_items, "prop")
        assert out.shape == (n_items, width) and out.dtype == np.float32
        got = out.toarray() if sparse else out
        np.testing.assert_array_equal(got, X.astype(np.float32))
    else:
        with pytest.raises(InputError, match="featurizer 'prop'"):
            check_rows(value, n_items, "prop")


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=4),
       st.integers(0, 10_000))
def test_join_keeps_the_rows_and_adds_up_the_widths(n, shapes, seed):
    rng = np.random.default_rng(seed)
    dense_blocks = [rng.normal(size=(n, width)).astype(np.float32) for width, _ in shapes]
    blocks = [sp.csr_matrix(b) if sparse else b for b, (_, sparse) in zip(dense_blocks, shapes)]
    joined = Featurizer.join(blocks)
    assert joined.shape == (n, sum(width for width, _ in shapes))
    assert joined.dtype == np.float32
    want = np.hstack(dense_blocks)
    np.testing.assert_array_equal(joined.toarray(), want)
    # Any selection of rows (index array with repeats, boolean mask, slice) joins to those rows.
    picked = rng.integers(0, n, size=rng.integers(0, 2 * n + 1))
    mask = rng.random(n) < 0.5
    for rows in (picked, mask, slice(1, None, 2)):
        np.testing.assert_array_equal(joined[rows].toarray(), want[rows])


# --- a user's transformer ----------------------------------------------------------------------


def test_a_user_transformer_gives_its_own_numbers():
    featurizer = TransformerFeatures(CountVectorizer())
    assert featurizer.name == "custom:CountVectorizer"
    assert featurizer.kinds == ("text", "table")
    X = featurizer.fit_transform(TEXTS)
    want = CountVectorizer().fit(TEXTS)
    np.testing.assert_array_equal(X.toarray(), want.transform(TEXTS).toarray().astype(np.float32))
    np.testing.assert_array_equal(featurizer.transform(NEW_TEXTS).toarray(), want.transform(NEW_TEXTS).toarray())
    assert featurizer.spec()["params"]["class"] == "sklearn.feature_extraction.text.CountVectorizer"
    assert featurizer.spec()["version"].split()[0] == "sklearn"


def test_a_user_transformer_is_copied_not_fitted_in_place():
    from sklearn.exceptions import NotFittedError

    given = CountVectorizer()
    TransformerFeatures(given).fit_transform(TEXTS)
    with pytest.raises(NotFittedError):
        given.transform(TEXTS)  # the user's object stays as they made it


def test_a_table_pipeline_as_features():
    pipeline = make_pipeline(FunctionTransformer(np.log1p), StandardScaler())
    X = TransformerFeatures(pipeline).fit_transform(np.abs(TABLE))
    want = make_pipeline(FunctionTransformer(np.log1p), StandardScaler()).fit_transform(np.abs(TABLE))
    np.testing.assert_array_equal(X, want.astype(np.float32))
    assert TransformerFeatures(pipeline).name == "custom:Pipeline"


class _Raises:
    """Fits like a transformer, but fails."""

    def fit(self, X, y=None):
        raise RuntimeError("the GPU is on fire")

    def transform(self, X):
        return X


class _DropsARow:
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.ones((len(X) - 1, 2))


class _GivesNaN:
    def fit_transform(self, X, y=None):
        out = np.ones((len(X), 2))
        out[1, 1] = np.nan
        return out

    def transform(self, X):
        return np.ones((len(X), 2))


def test_a_user_transformer_that_fails_is_an_input_error_naming_it():
    with pytest.raises(InputError, match=r"transformer _Raises to fit the items; it raised RuntimeError: the GPU is on fire"):
        TransformerFeatures(_Raises()).fit_transform(TEXTS)
    with pytest.raises(InputError, match=r"featurizer 'custom:_DropsARow' to return one row per item \(7 rows\); got 6 rows"):
        TransformerFeatures(_DropsARow()).fit_transform(TEXTS)
    with pytest.raises(InputError, match=r"'custom:_GivesNaN' to return finite numbers; got NaN or infinity \(first in row 1\)"):
        TransformerFeatures(_GivesNaN()).fit_transform(TEXTS)
    fitted = TransformerFeatures(_DropsARow())
    fitted._fitted = _DropsARow()
    with pytest.raises(InputError, match=r"\(2 rows\); got 1 rows"):
        fitted.transform(NEW_TEXTS)


# --- offline -----------------------------------------------------------------------------------

_OFFLINE_SCRIPT = r"""
import json, os, socket, sys

attempts = []

def refuse(name):
    def blocked(*args, **kwargs):
        attempts.append(name)
        raise OSError(f"network blocked by the test ({name})")
    return blocked

socket.socket.connect = refuse("connect")
socket.socket.connect_ex = refuse("connect_ex")
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")

import numpy as np
import pandas as pd
from hilt import Project
from hilt.features import EmbeddingFeatures

X = EmbeddingFeatures().fit_transform(["a good film", "a bad film", ""])
folder = sys.argv[1]
frame = pd.DataFrame({"text": ["good film", "bad film", "great fun", "awful mess", "fine cast", "dull plot"],
                      "label": ["pos", "neg", "pos", "neg", None, None]})
with Project.create(os.path.join(folder, "p.hilt"), frame, ["pos", "neg"], label_column="label",
                    eval_share=0, seed=0) as project:
    source = project.warm()
    project.retrain(wait=True)
    status = project.status()
    width = project._job.features.get(project._store)[0].shape[1]
try:
    socket.create_connection(("huggingface.co", 443), timeout=1)
    blocking = False
except OSError:
    blocking = True
print(json.dumps({
    "shape": list(X.shape), "finite": bool(np.isfinite(X).all()),
    "norms": np.linalg.norm(X, axis=1).round(4).tolist(),
    "source": source, "features": status["features"], "runs": len(status["runs"]), "width": width,
    "attempts": attempts, "blocking": blocking,
}))
"""


def test_embeddings_and_a_default_text_project_work_with_the_network_blocked(tmp_path):
    """In a fresh process with every socket refused, no Hugging Face settings and an empty home
    (no cache to fall back on): the bundled model loads, texts embed and a project with the default
    text features is built and trained. Nothing is downloaded, nothing is written to the home."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE", "TRANSFORMERS_", "XDG_")) and k != "TOKENIZERS_PARALLELISM"}
    env.update(HOME=str(home), HILT_RETRAIN_PROCESS="never")
    assert "HF_HUB_OFFLINE" not in env
    done = subprocess.run([sys.executable, "-c", _OFFLINE_SCRIPT, str(work)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["blocking"] is True  # the block works: a connection attempt does fail
    assert result["attempts"] == ["create_connection"]  # ... and only the test's own attempt was made
    assert result["shape"] == [3, 256] and result["finite"]
    assert result["norms"][:2] == [1.0, 1.0]
    assert result["source"] == "built" and result["features"] == "tfidf+embeddings" and result["runs"] == 1
    assert result["width"] > 256  # the TF-IDF words beside the 256 embedding dimensions
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("labels", [["pos", "neg"], ["pos", "neg", "meh"]])
@pytest.mark.parametrize("estimator", ["logistic", "svm"])
def test_a_model_predicts_over_blocks_as_over_the_joined_matrix(monkeypatch, labels, estimator):
    """A project's features stay in blocks. A logistic regression scores them through the
    blocks' own products (X @ coef), any other model a joined chunk of rows at a time (chunks
    of 3 here); both must give what the model gives on the whole joined matrix."""
    import hilt.models as models_module
    from sklearn.svm import LinearSVC

    from hilt.models import AlignedModel, default_classifier

    monkeypatch.setattr(models_module, "BLOCK_CHUNK", 3)
    X = TfidfEmbeddingFeatures().fit_matrix(TEXTS)
    y = [labels[i % len(labels)] for i in range(len(TEXTS))]
    classifier = default_classifier(C=3.0) if estimator == "logistic" else LinearSVC()
    model = AlignedModel(classifier, labels + ["unseen"]).fit(X, y)
    whole = X.tocsr()
    got, want = model.predict_proba(X), model.predict_proba(whole)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert got.shape == (len(TEXTS), len(labels) + 1) and (got[:, -1] == 0).all()
    assert model.predict(X).tolist() == model.predict(whole).tolist()
    assert model.predict(X[[4, 1]]).tolist() == model.predict(whole[[4, 1]]).tolist()
