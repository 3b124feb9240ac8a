"""hilt.cluster without a cluster: the partition plan, the exact merge of the partitions' tops,
the featurizers fitted from merged per-partition statistics (the same matrix as a fit on the
whole pool), what cannot be distributed, connecting (never a hang; a malformed address said to be
one), and a failed run's error kept in the store for every process over the project.

Projects on a real Dask cluster are tested in test_cluster_project.py.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from conftest import free_port
from hilt import Project
from hilt.cluster import (CONNECT_TIMEOUT_ENV, SCHEDULER_ENV, check_address, connect, is_connected,
                          scheduler_address)
from hilt.cluster import partitions
from hilt.project.cluster import ClusterFeatures
from hilt.cluster.partitions import Top, combine_tops, merge_tops, plan
from hilt.errors import InputError
from hilt.features import ScaleFeatures, TfidfEmbeddingFeatures, TfidfFeatures, TransformerFeatures
from hilt.features.text import WordCounts
from hilt.sampling import top_k

# A small vocabulary, so that words repeat across partitions and term frequencies tie.
WORDS = ["good", "bad", "film", "plot", "cast", "dull", "great", "story", "ending", "music", "actor", "zz"]


# -- the partition plan -----------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 700))
def test_plan_covers_every_row_id_once_in_ranges_of_the_size(top, size):
    ranges = plan(top, size)
    assert len(ranges) == math.ceil(top / size)
    covered = [i for low, high in ranges for i in range(low, high + 1)]
    assert covered == list(range(1, top + 1))  # each id once, in order
    # Every range is full but the last, which holds what is left (at least one id).
    assert all(high - low + 1 == size for low, high in ranges[:-1])
    if ranges:
        assert 1 <= ranges[-1][1] - ranges[-1][0] + 1 <= size


def test_partition_items_reads_the_environment(monkeypatch):
    monkeypatch.delenv(partitions.PARTITION_ITEMS_ENV, raising=False)
    assert partitions.partition_items() == partitions.PARTITION_ITEMS
    monkeypatch.setenv(partitions.PARTITION_ITEMS_ENV, " 300 ")
    assert partitions.partition_items() == 300
    for bad in ["0", "-4", "many", "2.5"]:
        monkeypatch.setenv(partitions.PARTITION_ITEMS_ENV, bad)
        with pytest.raises(InputError, match=partitions.PARTITION_ITEMS_ENV):
            partitions.partition_items()


# -- the partitions' tops merged: exactly the pool's top k --------------------------------------

def _tops_of(scores: np.ndarray, rowids: np.ndarray, cuts: list[int], k: int) -> list[Top]:
    """Each partition's top ``k`` as :func:`partitions.score_part` returns it (probs carry the
    row id, so that the merge can be checked to keep rows and probabilities together)."""
    tops = []
    bounds = [0, *cuts, len(scores)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        best = top_k(scores[lo:hi], k) + lo
        probs = np.column_stack([rowids[best].astype(float), 1.0 - rowids[best]]) if best.size else np.empty((0, 2))
        tops.append(Top(rowids[best], scores[best], probs, np.empty(0, np.int64), hi - lo))
    return tops


# Few distinct values, so that ties are common (equal scores go to the lower row id).
_scores = st.lists(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0, 1)), min_size=0, max_size=80)


@settings(max_examples=300, deadline=None)
@given(_scores, st.integers(0, 30), st.data())
def test_merge_tops_is_top_k_of_the_whole_pool(values, k, data):
    scores = np.array(values, dtype=np.float64)
    # Row ids grow with position (partitions are row-id ranges) but have gaps, as after imports.
    rowids = np.cumsum(data.draw(st.lists(st.integers(1, 5), min_size=len(scores), max_size=len(scores))),
                       dtype=np.int64)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(scores)), max_size=6)))  # empty partitions too
    tops = _tops_of(scores, rowids, cuts, k)
    expected = top_k(scores, k)
    # The partitions' order must not matter: the cluster gathers them as they finish.
    shuffled = data.draw(st.permutations(tops))
    found, found_scores, found_probs = merge_tops(list(shuffled), k)
    assert found.tolist() == rowids[expected].tolist()
    assert found_scores.tolist() == scores[expected].tolist()
    if found.size:
        assert found_probs[:, 0].tolist() == found.astype(float).tolist()


@settings(max_examples=200, deadline=None)
@given(_scores, st.integers(0, 30), st.integers(2, 8), st.data())
def test_combine_tops_in_a_tree_is_top_k_of_the_whole_pool(values, k, fan_in, data):
    scores = np.array(values, dtype=np.float64)
    rowids = np.arange(1, len(scores) + 1, dtype=np.int64)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(scores)), max_size=10)))
    tops = _tops_of(scores, rowids, cuts, k)
    for top in tops:  # each partition's random sample rides along
        top.sample = top.rowids[: 1]
    samples = sorted(int(s) for t in tops for s in t.sample)
    n_candidates = sum(t.n_candidates for t in tops)
    level = tops
    while len(level) > 1:  # as ClusterRetrainJob merges them on the cluster
        level = [combine_tops(k, *level[i:i + fan_in]) for i in range(0, len(level), fan_in)]
    merged = level[0]
    expected = top_k(scores, k)
    assert merged.rowids.tolist() == rowids[expected].tolist()
    assert merged.scores.tolist() == scores[expected].tolist()
    assert merged.probs.shape == (len(expected), 2)  # an empty result keeps the labels' width
    assert sorted(merged.sample.tolist()) == samples
    assert merged.n_candidates == n_candidates


def test_merge_tops_of_nothing_is_empty():
    empty = Top(np.empty(0, np.int64), np.empty(0), np.empty((0, 3)), np.empty(0, np.int64), 0)
    for tops in ([], [empty], [empty, empty]):
        rowids, scores, probs = merge_tops(tops, 5)
        assert rowids.size == scores.size == probs.shape[0] == 0
    assert combine_tops(5, empty, empty).probs.shape == (0, 3)


# -- featurizers fitted from merged partition statistics ----------------------------------------

def assert_same_matrix(a, b) -> None:
    """Bitwise equal features: same blocks, same sparse structure (indices sorted), same float32s."""
    blocks_a, blocks_b = getattr(a, "blocks", [a]), getattr(b, "blocks", [b])
    assert len(blocks_a) == len(blocks_b)
    for x, y in zip(blocks_a, blocks_b):
        assert x.shape == y.shape and x.dtype == y.dtype == np.float32
        assert sp.issparse(x) == sp.issparse(y)
        if sp.issparse(x):
            x, y = x.tocsr(), y.tocsr()
            x.sort_indices()
            y.sort_indices()
            x.eliminate_zeros()
            y.eliminate_zeros()
            assert np.array_equal(x.indptr, y.indptr)
            assert np.array_equal(x.indices, y.indices)
            assert np.array_equal(x.data, y.data)
        else:
            assert np.array_equal(x, y)


def _split(items, cuts: list[int]) -> list:
    bounds = [0, *sorted(cuts), len(items)]
    return [items[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _merge_in_order(featurizer, stats: list, order: list[tuple[int, int, bool]]):
    """Merge the statistics pairwise in the order drawn (any two, either side first)."""
    stats = list(stats)
    for i, j, swap in order:
        if len(stats) == 1:
            break
        i, j = i % len(stats), j % len(stats)
        if i == j:
            j = (j + 1) % len(stats)
        a, b = stats[i], stats[j]
        merged = featurizer.merge_stats(b, a) if swap else featurizer.merge_stats(a, b)
        stats = [s for n, s in enumerate(stats) if n not in (i, j)] + [merged]
    while len(stats) > 1:
        stats = [featurizer.merge_stats(stats[0], stats[1]), *stats[2:]]
    return stats[0]


def distributed_fit(make, items, cuts, order):
    """A featurizer fitted as the cluster fits it: statistics per partition, merged, fitted;
    then each partition transformed on its own and the rows stacked."""
    featurizer = make()
    parts = _split(items, cuts)
    stats = _merge_in_order(featurizer, [featurizer.partition_stats(p) for p in parts], order)
    featurizer.fit_stats(stats)
    return featurizer


_texts = st.lists(
    st.one_of(st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join),
              st.sampled_from(["", "a", "Good, GOOD film!", "  "])),  # no words, one-letter words, case
    min_size=1, max_size=40,
).filter(lambda texts: any(w in t.lower() for t in texts for w in WORDS))  # a vocabulary exists
_order = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.booleans()), max_size=12)


@settings(max_examples=150, deadline=None)
@given(_texts, st.sampled_from([200_000, 1, 3, 5]), st.data())
def test_tfidf_fitted_from_partition_counts_equals_the_whole_fit(texts, max_features, data):
    cuts = data.draw(st.lists(st.integers(0, len(texts)), max_size=6))  # empty partitions too
    order = data.draw(_order)
    whole = TfidfFeatures(max_features).fit_matrix(texts)
    parted = distributed_fit(lambda: TfidfFeatures(max_features), texts, cuts, order)
    assert_same_matrix(parted.transform_matrix(texts), whole)
    # And each partition's rows on their own (what a worker computes) are the pool's rows.
    for lo, hi in zip([0, *sorted(cuts)], [*sorted(cuts), len(texts)]):
        if hi > lo:
            assert_same_matrix(parted.transform_matrix(texts[lo:hi]), whole[lo:hi])


def test_tfidf_max_features_cut_breaks_ties_as_scikit_learn():
    # Ten words, each twice, three of them more often; keeping 4 means choosing among ties as
    # scikit-learn's own cut does.
    words = [f"w{i:02d}" for i in range(10)]
    texts = [" ".join(words[i:i + 2]) for i in range(0, 10, 2)] * 2 + ["w03 w07", "w07 w09"]
    whole_featurizer = TfidfFeatures(4)
    whole = whole_featurizer.fit_matrix(texts)
    parted = distributed_fit(lambda: TfidfFeatures(4), texts, [3, 7, 7], [(2, 0, True), (1, 0, False)])
    assert parted._vectorizer.vocabulary_ == whole_featurizer._vectorizer.vocabulary_
    assert_same_matrix(parted.transform_matrix(texts), whole)


@settings(max_examples=15, deadline=None)
@given(_texts, st.sampled_from([200_000, 3]), st.data())
def test_tfidf_embeddings_fitted_from_partition_counts_equals_the_whole_fit(texts, max_features, data):
    cuts = data.draw(st.lists(st.integers(0, len(texts)), max_size=4))
    order = data.draw(_order)
    whole = TfidfEmbeddingFeatures(max_features, dim=64).fit_matrix(texts)
    parted = distributed_fit(lambda: TfidfEmbeddingFeatures(max_features, dim=64), texts, cuts, order)
    assert_same_matrix(parted.transform_matrix(texts), whole)


_tables = st.integers(1, 40).flatmap(lambda n: st.lists(
    st.lists(st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 1.0, 7.0])), min_size=3, max_size=3),
    min_size=n, max_size=n))


@settings(max_examples=150, deadline=None)
@given(_tables, st.data())
def test_scale_fitted_from_partition_moments_equals_the_whole_fit(rows, data):
    X = np.array(rows, dtype=np.float64)
    X[:, 2] = 5.0  # a constant column: left unscaled, as StandardScaler does
    cuts = data.draw(st.lists(st.integers(0, len(X)), max_size=6))
    order = data.draw(_order)
    whole = ScaleFeatures().fit_matrix(X)
    parted = distributed_fit(ScaleFeatures, X, cuts, order)
    assert_same_matrix(parted.transform_matrix(X), whole)


def test_word_counts_merge_is_associative_and_commutative():
    featurizer = TfidfFeatures()
    a = featurizer.partition_stats(["good film", "bad bad plot"])
    b = featurizer.partition_stats(["", "  "])  # no words: an empty partition's counts
    c = featurizer.partition_stats(["good cast", "zz top film"])

    def same(x: WordCounts, y: WordCounts) -> None:
        assert x.terms.tolist() == y.terms.tolist()
        assert x.tf.tolist() == y.tf.tolist() and x.df.tolist() == y.df.tolist()
        assert x.n_docs == y.n_docs

    left, right = a.merge(b).merge(c), a.merge(b.merge(c))
    same(left, right)
    same(left, c.merge(a).merge(b))
    same(left, featurizer.partition_stats(["good film", "bad bad plot", "", "  ", "good cast", "zz top film"]))
    assert left.n_docs == 6
    assert dict(zip(left.terms, left.tf))["bad"] == 2 and dict(zip(left.terms, left.df))["bad"] == 1
    assert left.terms.tolist() == sorted(left.terms.tolist())
    same(WordCounts.empty().merge(a), a)


def test_empty_partitions():
    # A partition without items (a range past the last item) or without words counts nothing
    # but its documents; a pool without any word fails as scikit-learn's fit does.
    tfidf = TfidfFeatures()
    none = tfidf.partition_stats([])
    assert none.n_docs == 0 and len(none.terms) == 0
    blank = tfidf.partition_stats(["", "!!"])
    assert blank.n_docs == 2 and len(blank.terms) == 0
    with pytest.raises(ValueError):
        TfidfFeatures().fit_stats(none.merge(blank))
    texts = ["", "!!", "good film"]
    parted = TfidfFeatures().fit_stats(blank.merge(none).merge(tfidf.partition_stats(["good film"])))
    assert_same_matrix(parted.transform_matrix(texts), TfidfFeatures().fit_matrix(texts))

    scale = ScaleFeatures()
    nothing = scale.partition_stats(np.empty((0, 2)))
    assert nothing[0] == 0
    X = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, -1.0]])
    stats = scale.merge_stats(scale.merge_stats(nothing, scale.partition_stats(X)), nothing)
    assert_same_matrix(ScaleFeatures().fit_stats(stats).transform_matrix(X), ScaleFeatures().fit_matrix(X))


# -- what cannot run on a cluster ---------------------------------------------------------------

def test_a_users_transformer_cannot_be_fitted_on_a_cluster():
    custom = TransformerFeatures(FunctionTransformer(lambda X: np.ones((len(X), 1))))
    assert not custom.distributable
    with pytest.raises(InputError, match="without a scheduler"):
        ClusterFeatures(object(), "p.hilt", "text", [], custom)


def test_opening_a_custom_features_project_with_a_scheduler_is_an_input_error(tmp_path):
    from sklearn.feature_extraction.text import CountVectorizer

    frame = pd.DataFrame({"text": ["good film", "bad film", "dull plot", "great cast"]})
    path = tmp_path / "p.hilt"
    Project.create(path, frame, ["pos", "neg"], features=CountVectorizer()).close()

    class FakeClient:  # a client is used as given; the featurizer is refused before any task
        closed = False

        def close(self):
            self.closed = True

    client = FakeClient()
    with pytest.raises(InputError, match="custom:CountVectorizer"):
        Project.open(path, scheduler=client)
    assert not client.closed  # a client the caller gave stays theirs to close
    # The file was closed on the way out: it opens again without a scheduler.
    with Project.open(path) as project:
        assert project.status()["scheduler"] is None


# -- which scheduler, and connecting to it ------------------------------------------------------

def test_scheduler_address_reads_the_environment(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address() is None
    monkeypatch.setenv(SCHEDULER_ENV, "  tcp://10.1.2.3:8786 ")
    assert scheduler_address() == "tcp://10.1.2.3:8786"
    assert scheduler_address("tcp://other:1") == "tcp://other:1"  # given beats the environment
    monkeypatch.setenv(SCHEDULER_ENV, "   ")
    assert scheduler_address() is None  # set but empty: no scheduler
    with pytest.raises(InputError, match="empty"):
        scheduler_address("  ")
    client = object()
    assert scheduler_address(client) is client  # a client passes through


def test_connecting_to_nothing_fails_quickly_and_names_the_address(monkeypatch):
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "2")
    address = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(InputError) as error:
        connect(address)
    assert time.monotonic() - t0 < 15  # never a hang
    assert address in str(error.value)
    # Without the scheme too (host:port).
    bare = f"127.0.0.1:{free_port()}"
    with pytest.raises(InputError, match=bare):
        connect(bare)


def test_project_open_with_an_unreachable_scheduler_fails_quickly(monkeypatch, tmp_path):
    path = tmp_path / "p.hilt"
    Project.create(path, pd.DataFrame({"text": ["good film", "bad film"]}), ["pos", "neg"]).close()
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "2")
    address = f"tcp://127.0.0.1:{free_port()}"
    monkeypatch.setenv(SCHEDULER_ENV, address)  # through the environment
    t0 = time.monotonic()
    with pytest.raises(InputError, match=address):
        Project.open(path)
    assert time.monotonic() - t0 < 15
    monkeypatch.delenv(SCHEDULER_ENV)
    with Project.open(path) as project:  # the file was left closed and usable
        assert project.status()["n_items"] == 2


def test_a_bad_timeout_is_an_input_error(monkeypatch):
    for bad in ["soon", "0", "-1"]:
        monkeypatch.setenv(CONNECT_TIMEOUT_ENV, bad)
        with pytest.raises(InputError, match=CONNECT_TIMEOUT_ENV):
            connect(f"tcp://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("address, why", [  # (127.0.0.1 only: were the check broken, connect would try them)
    ("127.0.0.1:48786x", "its port '48786x' is not a whole number"),
    ("tcp://127.0.0.1", "it has no port"),
    ("127.0.0.1", "it has no port"),
    ("tcp://127.0.0.1:0", "its port 0 is not from 1 to 65535"),
    ("127.0.0.1:65536", "its port 65536 is not from 1 to 65535"),
    ("htp://127.0.0.1:8786", "its scheme 'htp' is not one of"),
    ("tcp://127.0.0.1:8786/", "its port '8786/' is not a whole number"),
])
def test_a_malformed_address_is_said_to_be_one_before_anything_is_contacted(address, why, monkeypatch):
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "60")  # connecting would wait: a quick error did not try
    t0 = time.monotonic()
    for call in (scheduler_address, connect, check_address):
        with pytest.raises(InputError) as error:
            call(address)
        message = str(error.value)
        assert message.startswith("Expected a Dask scheduler address like host:port, tcp://host:port")
        assert f"got {address!r}, a malformed address: {why}" in message
        assert "not a Dask scheduler" not in message
    assert time.monotonic() - t0 < 5
    monkeypatch.setenv(SCHEDULER_ENV, address)  # from the environment: the message says so
    with pytest.raises(InputError, match=r"\(from \$HILT_DASK_SCHEDULER\), a malformed address"):
        scheduler_address()


def test_an_address_without_a_host_or_with_a_bare_ipv6_host_is_malformed():
    with pytest.raises(InputError, match="got 'tcp://:8786', a malformed address: it has no host"):
        check_address("tcp://:8786")
    with pytest.raises(InputError, match=r"its host '::1' is not a host name or address \(an IPv6 address goes "
                                          r"in brackets: \[::1\]:8786\)"):
        check_address("::1:8786")


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "10.0.0.5:8786", "localhost:1", "tls://sched.lan:8786",
                                     "tcp://[::1]:8786", "[fe80::1%eth0]:8786", "ws://my-host_2:65535",
                                     "inproc://10.0.0.5/1234/1"])
def test_well_formed_addresses_pass_the_check(address):
    check_address(address)
    assert scheduler_address(address) == address  # as given, not rewritten


def test_a_client_that_lost_its_scheduler_is_not_connected():
    class Lost:
        status = "closed"

    class Reconnecting:
        status = "connecting"

    class Running:
        status = "running"

    assert is_connected(Running()) and not is_connected(Lost()) and not is_connected(Reconnecting())


# -- a failed run's error, kept in the store ------------------------------------------------------

class FailingFit(LogisticRegression):
    """A classifier whose fit fails (as a run that meets a broken cluster or a bad model would)."""

    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("the fit failed\non purpose")


def _labelled_project(path) -> None:
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(40)],
                          "text": [f"{'good great' if i % 2 else 'bad dull'} film {i}" for i in range(40)]})
    with Project.create(path, frame, ["pos", "neg"], id_column="id", features="tfidf", retrain_every=10**6,
                        eval_share=0) as project:
        for _ in range(8):
            item = project.next_item("ada")
            project.answer(item.id, "pos" if "good" in item.data["text"] else "neg", "ada")


def test_the_last_runs_error_is_in_the_store_for_every_process_until_a_run_finishes(tmp_path, caplog):
    import logging

    from hilt.project.status import read_status

    path = tmp_path / "p.hilt"
    _labelled_project(path)
    with Project.open(path, model=FailingFit()) as failing:
        with pytest.raises(RuntimeError):
            failing.retrain(wait=True)  # as hilt retrain runs it
        error = failing.status()["retrain_error"]
        assert error == "RuntimeError: the fit failed on purpose"  # one line
        with Project.open(path) as other:  # another process's view: the same file
            assert other.status()["retrain_error"] == error
        assert read_status(path)["retrain_error"] == error
        # A background run's failure (a server's) is recorded too, and logged.
        failing._store.record_run_error("an older error")
        with caplog.at_level(logging.WARNING, logger="hilt"):
            failing.retrain()
            deadline = time.monotonic() + 60
            while failing.status()["retrain_error"] != error and time.monotonic() < deadline:
                time.sleep(0.05)
            assert failing.status()["retrain_error"] == error
    assert any("background retrain failed" in r.getMessage() for r in caplog.records)
    with Project.open(path) as fixed:  # the project's own classifier: the next run finishes
        fixed.retrain(wait=True)
        assert fixed.status()["retrain_error"] is None and len(fixed.status()["runs"]) == 1
    assert read_status(path)["retrain_error"] is None


def test_a_failed_run_in_the_retrain_child_process_is_in_the_store_too(tmp_path, monkeypatch):
    # Pools of 100,000+ items retrain in a child process: its error comes back to the parent,
    # which records it, as for a run in its own thread.
    monkeypatch.setenv("HILT_RETRAIN_PROCESS", "always")
    path = tmp_path / "p.hilt"
    _labelled_project(path)
    with Project.open(path, model=FailingFit()) as serving:
        serving.retrain()  # in the background: in the child process
        deadline = time.monotonic() + 120
        while not serving.status()["retrain_error"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert serving._job._child is not None  # it did run there
        with Project.open(path) as other:
            assert other.status()["retrain_error"] == "RuntimeError: the fit failed on purpose"
