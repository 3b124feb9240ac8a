"""The strategy layer: every strategy on pools where the right pick is known, properties that
hold for all of them, mixes, bad names, and cold start."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from hilt import strategies
from hilt.errors import InputError
from hilt.models import AlignedModel
from hilt.sampling import METHODS
from hilt.strategies import QueryContext, STRATEGIES, get_strategy, select
from hilt.strategies import registry
from hilt.strategies._order import interleave, round_robin, shares
from hilt.strategies.committee import vote_entropy
from hilt.strategies.geometry import dense_view, kmeans
from hilt.strategies.outlier import outlier_scores

MIX = "margin+diverse:8/random:1/outlier:1"
EVERY = list(STRATEGIES) + [MIX, "cluster:1/representative:1", "committee+diverse:2/random:1"]


def fitted(X, labelled, y, **kw):
    return AlignedModel(LogisticRegression(max_iter=1000, **kw), sorted(set(y))).fit(X[labelled], list(y))


def context(X, labelled, y, *, model="fit", seed=0, batch=None, candidates=None, **kw):
    labelled = np.asarray(labelled, dtype=np.int64)
    if candidates is None:
        candidates = np.setdiff1d(np.arange(X.shape[0]), labelled)
    if model == "fit":
        model = fitted(X, labelled, y) if len(set(y)) >= 2 else None
    return QueryContext(X, candidates, labelled, list(y), model, np.random.default_rng(seed), batch=batch, **kw)


def blobs(n_per=30, centres=((0, 0), (6, 0), (0, 6), (6, 6)), seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 0.5, size=(n_per, 2)) for c in centres])
    return X, np.repeat(np.arange(len(centres)), n_per)


# -- the registry ----------------------------------------------------------------------------
def test_registry_names_every_family_and_describes_each():
    for name in ("random", *METHODS, "outlier", "cluster", "representative", "committee",
                 *(f"{m}+diverse" for m in (*METHODS, "committee"))):
        assert name in STRATEGIES
        assert get_strategy(name).name == name
        assert registry.DESCRIPTIONS[name]
    assert set(registry.DESCRIPTIONS) == set(STRATEGIES)
    assert registry.METHODS == METHODS  # written out for a light import; must not drift


@pytest.mark.parametrize("spec, message", [
    ("magin", "got 'magin'"),
    ("", "got ''"),
    ("margin:8/randm:1", "got 'randm' (part 2 of the mix"),
    ("margin:0/random:1", "weight > 0"),
    ("margin:-1/random:1", "weight > 0"),
    ("margin:abc", "weight > 0"),
    ("margin:/random:1", "nothing after ':'"),
    ("margin/random:1", "NAME:WEIGHT"),
    ("margin:1//random:1", "part 2 of the mix"),
    ("margin:1/margin:2", "once in a mix"),
    ("margin:inf", "weight > 0"),
])
def test_bad_strategy_names_and_mixes_are_input_errors_that_list_the_names(spec, message):
    with pytest.raises(InputError) as error:
        get_strategy(spec)
    assert message in str(error.value)
    assert "random, least, margin, ratio, entropy, outlier, cluster" in str(error.value) and MIX in str(error.value)


def test_a_mix_is_written_canonically():
    assert strategies.check_strategy(" margin+diverse : 8 / random:1 /outlier: 1.5") == \
        "margin+diverse:8/random:1/outlier:1.5"


def test_shares_and_interleave_keep_the_weights_in_every_batch():
    assert shares(10, [8, 1, 1]) == [8, 1, 1]
    assert sum(shares(2000, [8, 1, 1])) == 2000
    merged = interleave([np.arange(80), np.arange(100, 110), np.arange(200, 210)], [8, 1, 1])
    for lo in range(0, 100, 10):
        window = merged[lo : lo + 10]
        assert ((window >= 100) & (window < 110)).sum() == 1 and (window >= 200).sum() == 1
    assert round_robin([np.array([1, 2]), np.array([3])]).tolist() == [1, 3, 2]


# -- properties of every strategy -------------------------------------------------------------
@pytest.mark.parametrize("name", EVERY)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 40), n_labelled=st.integers(0, 12))
def test_every_strategy_picks_distinct_unlabelled_candidates_deterministically(name, seed, k, n_labelled):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 4))
    y_all = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    labelled = rng.choice(60, size=n_labelled, replace=False)
    y = y_all[labelled]
    first = select(name, context(X, labelled, y, seed=seed, batch=10), k)
    again = select(name, context(X, labelled, y, seed=seed, batch=10), k)
    np.testing.assert_array_equal(first, again)  # a seed fixes the picks
    assert first.size == min(k, 60 - n_labelled)
    assert len(set(first.tolist())) == first.size
    assert not set(first.tolist()) & set(labelled.tolist())


@pytest.mark.parametrize("name", EVERY)
def test_every_strategy_works_on_sparse_text_features(name):
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = ["good", "bad", "film", "plot", "great", "awful", "actor", "boring", "fun", "dull"]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=5)) for _ in range(80)]
    X = TfidfVectorizer().fit_transform(texts).tocsr().astype(np.float32)
    y_all = np.array([int(("good" in t) or ("great" in t)) for t in texts])
    labelled = np.arange(10)
    picks = select(name, context(X, labelled, y_all[labelled], batch=10), 10)
    assert picks.size == 10 and len(set(picks.tolist())) == 10 and picks.min() >= 10


@pytest.mark.parametrize("name", EVERY)
def test_every_strategy_respects_the_candidates_it_is_given(name):
    X, y_all = blobs()
    labelled = np.array([0, 30, 60, 90])
    candidates = np.arange(100, 120)  # e.g. the evaluation sample is left out
    picks = select(name, context(X, labelled, y_all[labelled], candidates=candidates), 30)
    assert sorted(picks.tolist()) == candidates.tolist()


# -- each strategy where the right pick is known ----------------------------------------------
def test_uncertainty_strategies_pick_the_items_at_the_boundary():
    X = np.linspace(-5, 5, 41)[:, None]
    labelled = np.array([0, 40])
    for method in METHODS:
        picks = select(method, context(X, labelled, ["a", "b"]), 3)
        assert sorted(picks.tolist()) == [19, 20, 21]


def test_random_and_uncertainty_are_random_at_cold_start():
    X = np.arange(50.0)[:, None]
    a = select("margin", context(X, [3], ["a"]), 5)
    b = select("random", context(X, [3], ["a"]), 5)
    np.testing.assert_array_equal(a, b)  # both draw from the same generator the same way


def test_cluster_takes_centroid_nearest_then_farthest_members_of_each_cluster():
    X, _ = blobs(n_per=25)
    X[1] = (-2.5, -2.5)  # the far edge of the first blob
    picks = select("cluster", context(X, [], [], model=None, batch=12), 12)
    centres = np.array([X[g * 25 : g * 25 + 25].mean(axis=0) for g in range(4)])
    first = picks[:4]
    assert sorted(int(p) // 25 for p in first) == [0, 1, 2, 3]  # one item per blob ...
    for p in first:  # ... the one nearest its centre
        blob = X[int(p) // 25 * 25 : int(p) // 25 * 25 + 25]
        assert np.linalg.norm(X[p] - centres[int(p) // 25]) <= np.linalg.norm(blob - centres[int(p) // 25], axis=1).min() + 0.3
    assert 1 in picks[4:8].tolist()  # then each cluster's farthest member
    assert sorted(int(p) // 25 for p in picks[8:]) == [0, 1, 2, 3]  # then random members


def test_representative_prefers_the_part_of_the_pool_no_label_covers():
    X, group = blobs(n_per=30)
    labelled = np.concatenate([np.arange(0, 10), np.arange(30, 40), np.arange(60, 70)])  # not the 4th blob
    picks = select("representative", context(X, labelled, group[labelled]), 4)
    assert (group[picks] == 3).sum() >= 3


def test_outlier_picks_items_unlike_anything_labelled():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["good fun great"] * 20 + ["bad dull awful"] * 20 + ["quantum tax ferry"] * 2 + ["good bad"] * 6
    X = TfidfVectorizer().fit_transform(texts).tocsr()
    labelled = np.r_[0:15, 20:35]
    y = ["pos"] * 15 + ["neg"] * 15
    picks = select("outlier", context(X, labelled, y), 2)
    assert sorted(picks.tolist()) == [40, 41]  # none of the words the model weighs


def test_outlier_ranks_against_the_validation_sample_when_there_is_one():
    scores = outlier_scores(np.array([[0.0, 0.0], [9.0, 9.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert scores.tolist() == [1.0, 0.0]
    X = np.linspace(-5, 5, 41)[:, None]
    ctx = context(X, [0, 40], ["a", "b"], validation=np.array([1, 39]))
    assert select("outlier", ctx, 3).size == 3


def test_committee_asks_where_bootstrap_models_disagree():
    assert vote_entropy(np.array([[0, 0, 0, 0, 0], [0, 1, 0, 1, 2]]), 3).round(3).tolist() == [0.0, 0.96]
    X = np.linspace(-5, 5, 101)[:, None]
    labelled = np.r_[0:20, 81:101]
    y = ["a"] * 20 + ["b"] * 20
    picks = select("committee", context(X, labelled, y), 5)
    assert np.all(np.abs(X[picks, 0]) < 2.5)  # the disputed middle, not the settled ends


def test_diverse_batch_spans_the_near_copies_that_uncertainty_piles_onto():
    """The issue's "no near-duplicate batches": the most uncertain items are 20 near-copies of
    each of 5 items; a margin batch of 10 is copies of one or two of them, margin+diverse spans them."""
    rng = np.random.default_rng(0)
    originals = np.column_stack([np.zeros(5), np.linspace(-8, 8, 5)])  # all on the boundary x0 = 0
    copies = np.repeat(originals, 20, axis=0) + rng.normal(0, 0.01, size=(100, 2))
    copies[:20, 0] -= 0.05  # the first item's copies are the very most uncertain
    far = np.column_stack([rng.choice([-4.0, 4.0], 200), rng.uniform(-8, 8, 200)])
    X = np.vstack([copies, far])
    labelled = np.arange(100, 140)
    y = (X[labelled, 0] > 0).astype(int)
    plain = select("margin", context(X, labelled, y), 10)
    diverse = select("margin+diverse", context(X, labelled, y, batch=10), 10)
    assert len(set((plain // 20).tolist())) <= 2
    assert set((diverse[:5] // 20).tolist()) == {0, 1, 2, 3, 4}  # every original, a copy each, first
    assert len(set((diverse // 20).tolist())) >= 5


def test_diverse_widens_its_candidates_when_the_top_ones_are_copies_of_one_item():
    rng = np.random.default_rng(1)
    X = np.vstack([np.repeat([[0.0, 0.0]], 150, axis=0) + rng.normal(0, 1e-3, (150, 2)),
                   np.column_stack([rng.uniform(-0.5, 0.5, 50), rng.uniform(-6, 6, 50)]),
                   [[-5.0, 0.0], [5.0, 0.0]]])
    labelled = np.array([200, 201])
    picks = select("margin+diverse", context(X, labelled, ["a", "b"], batch=5), 5)
    assert (picks < 150).sum() == 1  # one copy, then the next-most-uncertain distinct items


def test_longer_selections_are_consecutive_spread_batches():
    rng = np.random.default_rng(2)
    groups = np.column_stack([rng.normal(0, 0.2, 250), np.repeat(np.arange(0, 50, 10), 50) + rng.normal(0, 0.5, 250)])
    X = np.vstack([groups, [[-5.0, 25.0], [5.0, 25.0]]])
    group = np.repeat(np.arange(5), 50)
    picks = select("margin+diverse", context(X, [250, 251], ["a", "b"], batch=5), 20)
    assert picks.size == 20
    for lo in range(0, 20, 5):  # each batch of 5 consecutive picks spans the groups
        assert len(set(group[picks[lo : lo + 5]].tolist())) >= 4


def test_diversity_strategies_at_cold_start_take_cluster_representatives():
    X, group = blobs(n_per=30)
    for name in ("cluster", "outlier", "representative", "margin+diverse", "committee+diverse"):
        batch = 12 if name == "cluster" else 4  # cluster: 3 members of each of batch / 3 clusters
        picks = select(name, context(X, [], [], model=None, batch=batch), batch)[:4]
        assert sorted(group[picks].tolist()) == [0, 1, 2, 3], name


def test_a_mix_fills_each_share_from_what_the_parts_before_it_left():
    X, group = blobs(n_per=30)
    labelled = np.array([0, 30, 60, 90])
    ctx = context(X, labelled, group[labelled], batch=10)
    picks = select(MIX, ctx, 20)
    assert picks.size == 20 and len(set(picks.tolist())) == 20
    alone = select("margin+diverse", context(X, labelled, group[labelled], batch=8), 16)
    assert len(set(picks.tolist()) & set(alone.tolist())) >= 12  # the 80 % share


def test_dense_view_is_unit_length_linear_and_remembered():
    X = sp.random(500, 3000, density=0.01, format="csr", random_state=0, dtype=np.float32)
    view = dense_view(X)
    assert view.shape == (500, 64) and view.dtype == np.float32
    nonzero = np.linalg.norm(view, axis=1) > 0
    np.testing.assert_allclose(np.linalg.norm(view[nonzero], axis=1), 1.0, atol=1e-5)
    assert dense_view(X) is view


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 60), c=st.integers(1, 10))
def test_kmeans_gives_every_point_its_nearest_centroid(seed, n, c):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 3)).astype(np.float32)
    centroids, assignment = kmeans(points, c, np.random.default_rng(seed))
    assert 1 <= len(centroids) <= min(n, c)
    assert set(assignment.tolist()) == set(range(len(centroids)))  # no empty cluster
    d = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(d[np.arange(n), assignment], d.min(axis=1), rtol=1e-4, atol=1e-5)


def test_dense_prefers_uncertain_items_that_stand_for_many_others():
    """An uncertain lone item and an uncertain crowd: margin asks about the lone item first,
    margin+dense about the crowd."""
    rng = np.random.default_rng(0)
    crowd = np.column_stack([rng.normal(0.3, 0.05, 200), rng.normal(0, 0.3, 200)])  # near the boundary
    lone = np.array([[0.0, 9.0]])  # on the boundary, far from everything
    sides = np.column_stack([rng.choice([-5.0, 5.0], 300), rng.normal(0, 3, 300)])
    X = np.vstack([crowd, lone, sides])
    labelled = np.arange(201, 221)
    y = (X[labelled, 0] > 0).astype(int)
    assert select("margin", context(X, labelled, y), 1).tolist() == [200]
    dense = select("margin+dense", context(X, labelled, y, batch=5), 5)
    assert 200 not in dense.tolist() and np.all(dense < 200)


def test_pool_density_is_highest_in_the_crowd_and_low_for_a_lone_item():
    from hilt.strategies.density import pool_density

    rng = np.random.default_rng(1)
    view = np.vstack([rng.normal(0, 1, (500, 2)), [[30.0, 30.0]]]).astype(np.float32)
    density = pool_density(view)
    assert density.shape == (501,) and np.all((density > 0) & (density <= 1))
    assert density[-1] < np.percentile(density, 5)
    assert pool_density(view) is density  # remembered for this view


def test_freeing_features_whose_view_was_measured_does_not_hang():
    """Regression: freeing X dropped its view while holding the memo lock, and the view's own
    memo callbacks waited for that lock for ever (found by the strategy benchmark)."""
    import subprocess
    import sys

    script = (
        "import gc, numpy as np\n"
        "from hilt.strategies.geometry import dense_view, copy_distance\n"
        "from hilt.strategies.density import pool_density\n"
        "for i in range(5):\n"
        "    X = np.random.default_rng(i).normal(size=(500, 5))\n"
        "    view = dense_view(X); copy_distance(view); pool_density(view)\n"
        "    del X, view; gc.collect()\n"
        "print('done')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr


# -- multi-label models ------------------------------------------------------------------------
from hilt.models import MultiLabelModel  # noqa: E402
from hilt.sampling import multilabel_score  # noqa: E402
from hilt.strategies import MULTILABEL_STRATEGIES, check_strategy, strategy_names  # noqa: E402
from hilt.strategies.base import uncertainty_scorer  # noqa: E402
from hilt.strategies.outlier import activations  # noqa: E402

ML_LABELS = ["x", "y", "z"]
ML_EVERY = list(strategy_names("multilabel")) + [
    "margin:max:3/random:1", "margin:max+diverse:8/random:1/outlier:1", "cardinality:1/entropy:2",
    "committee+diverse:2/random:1",
]


def ml_pool(n=60, seed=0):
    """Points in 3-D whose labels are the positive coordinates (an item may have 0 to 3)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    answers = [[label for label, v in zip(ML_LABELS, row) if v > 0] for row in X]
    return X, answers


def ml_context(X, answers, labelled, *, seed=0, batch=None, fit=True, estimator=None):
    labelled = np.asarray(labelled, dtype=np.int64)
    y = [answers[i] for i in labelled]
    model = None
    if fit and MultiLabelModel.can_fit(y):
        model = MultiLabelModel(LogisticRegression(max_iter=1000) if estimator is None else estimator, ML_LABELS).fit(X[labelled], y)
    candidates = np.setdiff1d(np.arange(X.shape[0]), labelled)
    return QueryContext(X, candidates, labelled, y, model, np.random.default_rng(seed), batch=batch)


def test_multilabel_names_are_registered_described_and_kept_apart_from_single():
    for name in MULTILABEL_STRATEGIES:
        assert name not in STRATEGIES and registry.MULTILABEL_DESCRIPTIONS[name]
        assert get_strategy(name).name == name
    assert set(registry.MULTILABEL_DESCRIPTIONS) == set(MULTILABEL_STRATEGIES)
    assert {"least:max", "margin:max", "ratio:max", "entropy:max", "cardinality", "margin:max+diverse",
            "cardinality+diverse", "entropy:max+dense"} <= set(MULTILABEL_STRATEGIES)
    assert strategy_names() == STRATEGIES
    assert strategy_names("multilabel") == STRATEGIES + MULTILABEL_STRATEGIES


@pytest.mark.parametrize("spec", ["margin:max", "cardinality+diverse", "margin:max:3/random:1",
                                  "random:1/entropy:max+dense:2"])
def test_multilabel_only_names_are_refused_for_single_with_a_clear_error(spec):
    assert check_strategy(spec, task="multilabel") == get_strategy(spec).name
    with pytest.raises(InputError, match="Expected a strategy for task 'single'.*task 'multilabel'") as error:
        check_strategy(spec, task="single")
    assert "margin+diverse" in str(error.value)  # it lists what the task does take
    with pytest.raises(InputError, match="task 'single'"):
        check_strategy(spec)  # the default task is single: every current call keeps working


@pytest.mark.parametrize("spec", ["margin:max", "entropy:max+dense", "margin:max:3/random:1", "least+diverse",
                                  "cluster:1/ratio:2", "representative", "random"])
def test_a_spans_project_takes_the_sequence_methods_over_labellings_and_tokens(spec):
    assert check_strategy(spec, task="spans") == get_strategy(spec).name


@pytest.mark.parametrize(("spec", "offending"), [("committee", "committee"), ("committee+diverse", "committee+diverse"),
                                                 ("cardinality", "cardinality"), ("margin:8/outlier:1", "outlier")])
def test_a_spans_project_refuses_what_needs_a_classifier_of_whole_items_and_says_why(spec, offending):
    with pytest.raises(InputError, match=f"Expected a strategy for task 'spans'.*got '{re.escape(offending)}', which") as error:
        check_strategy(spec, task="spans")
    assert "margin:max+diverse" in str(error.value) and "committee," not in str(error.value)


def test_the_mix_grammar_takes_names_with_a_colon():
    assert check_strategy(" margin:max : 3 / random:1 ", task="multilabel") == "margin:max:3/random:1"
    assert [(p.name, w) for p, w in get_strategy("entropy:max+diverse:2/cardinality:1").parts] == \
        [("entropy:max+diverse", 2.0), ("cardinality", 1.0)]
    assert get_strategy("margin:4").parts[0][0].name == "margin"  # a one-part mix, as before


@pytest.mark.parametrize("spec, message", [
    ("margin:max/random:1", "a strategy without a weight (write margin:max:1)"),
    ("margin:max:/random:1", "nothing after ':'"),
    ("margin:maxx", "weight > 0"),
    ("margin:mean", "weight > 0"),
    ("margin:max:0/random:1", "weight > 0"),
    ("magin:max:2/random:1", "got 'magin:max' (part 1"),
    ("margin:max:1/margin:max:2", "once in a mix"),
])
def test_bad_multilabel_names_and_mixes(spec, message):
    with pytest.raises(InputError) as error:
        get_strategy(spec)
    assert message in str(error.value)
    assert "margin:max" in str(error.value) or "once" in str(error.value)


@pytest.mark.parametrize("name", ML_EVERY)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 30), n_labelled=st.integers(0, 14))
def test_every_strategy_works_for_a_multilabel_model(name, seed, k, n_labelled):
    X, answers = ml_pool(seed=seed % 7)
    rng = np.random.default_rng(seed)
    labelled = rng.choice(60, size=n_labelled, replace=False)
    first = select(name, ml_context(X, answers, labelled, seed=seed, batch=8), k)
    again = select(name, ml_context(X, answers, labelled, seed=seed, batch=8), k)
    np.testing.assert_array_equal(first, again)
    assert first.size == min(k, 60 - n_labelled)
    assert len(set(first.tolist())) == first.size
    assert not set(first.tolist()) & set(labelled.tolist())


@pytest.mark.parametrize("name", ["margin", "entropy:max", "cardinality", "committee", "outlier",
                                  "margin:max+diverse", "ratio+dense", "margin:max:3/random:1"])
def test_multilabel_strategies_work_on_sparse_text_features(name):
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = ["good", "bad", "film", "plot", "great", "awful", "actor", "boring", "fun", "dull"]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=5)) for _ in range(80)]
    X = TfidfVectorizer().fit_transform(texts).tocsr().astype(np.float32)
    answers = [[lab for lab, word in zip(ML_LABELS, ("good", "film", "fun")) if word in t] for t in texts]
    ctx = ml_context(X, answers, np.arange(12), batch=5)
    picks = select(name, ctx, 10)
    assert picks.size == 10 and len(set(picks.tolist())) == 10 and picks.min() >= 12


def test_scores_dispatch_on_the_models_kind():
    X, answers = ml_pool()
    ctx = ml_context(X, answers, np.arange(20))
    probs = ctx.model.predict_proba(X[ctx.candidates])
    for method in METHODS:
        np.testing.assert_allclose(ctx.scores(method), multilabel_score(probs, method, "mean"))
        np.testing.assert_allclose(ctx.scores(f"{method}:max"), multilabel_score(probs, method, "max"))
    picks = select("margin:max", ctx, 5)
    np.testing.assert_array_equal(picks, ctx.candidates[np.argsort(-multilabel_score(probs, "margin", "max"),
                                                                   kind="stable")[:5]])
    single = context(blobs()[0], np.array([0, 30]), [0, 1])
    with pytest.raises(InputError, match="multi-label models"):
        single.scores("margin:max")
    with pytest.raises(InputError, match="multi-label models"):
        uncertainty_scorer("entropy:max", False)


def test_cardinality_asks_first_about_items_whose_predicted_set_is_of_an_unusual_size():
    X, answers = ml_pool(n=200, seed=1)
    ctx = ml_context(X, answers, np.arange(40))
    usual = np.mean([len(a) for a in ctx.y])
    sizes = np.array([len(s) for s in ctx.model.predict(X[ctx.candidates])])
    inconsistency = np.abs(sizes - usual)
    picks = select("cardinality", ctx, 20)
    chosen = inconsistency[np.searchsorted(ctx.candidates, picks)]
    assert (np.diff(chosen) <= 0).all() and chosen[0] == inconsistency.max()  # by inconsistency first
    with pytest.raises(InputError, match="multi-label model"):
        get_strategy("cardinality").scores(context(blobs()[0], np.array([0, 30]), [0, 1]))


def test_a_multilabel_committee_disputes_the_labels_near_their_boundaries():
    X, answers = ml_pool(n=300, seed=2)
    ctx = ml_context(X, answers, np.arange(60))
    scores = get_strategy("committee").scores(ctx)
    near = np.abs(X[ctx.candidates]).min(axis=1)  # the coordinate closest to its label's boundary
    assert scores[near < 0.05].mean() > scores[near > 1.0].mean()
    assert ((scores >= 0) & (scores <= 1 + 1e-3)).all()


def test_multilabel_outliers_are_items_with_little_evidence_for_or_against_any_label():
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(80, 4))) + 0.5
    X[79] = 0.0  # no feature at all: no evidence either way
    answers = [[lab for lab, v in zip(ML_LABELS, row) if v > 1.0] for row in X]
    ctx = ml_context(X, answers, np.arange(30))
    assert select("outlier", ctx, 1).tolist() == [79]
    # the products over non-negative features equal the per-label elementwise evidence
    fast = activations(ctx.model, X[:10])
    shifted = activations(ctx.model, np.vstack([X[:10], -np.ones((1, 4))]))[:10]  # takes the slow path
    np.testing.assert_allclose(fast, shifted, atol=1e-12)
    from sklearn.ensemble import RandomForestClassifier

    forest = ml_context(X, answers, np.arange(30), estimator=RandomForestClassifier(n_estimators=5, random_state=0))
    assert activations(forest.model, X[:5]).shape == (5, 6)  # log p and log(1 - p) per label


def test_multilabel_cold_start_draws_at_random_or_spreads_over_clusters():
    X, answers = ml_pool()
    for name in ("margin:max", "cardinality", "committee"):
        ctx = ml_context(X, answers, [], fit=False)
        assert ctx.is_cold and select(name, ctx, 5).size == 5
    X4, _ = blobs(n_per=10)
    cold = QueryContext(X4, np.arange(40), np.empty(0), [], None, np.random.default_rng(0), batch=4)
    assert sorted({int(i) // 10 for i in select("margin:max+diverse", cold, 4)}) == [0, 1, 2, 3]


def test_multilabel_diverse_spreads_a_batch_over_near_copies():
    rng = np.random.default_rng(0)
    hard = np.repeat([[0.0, -4.0], [0.0, 0.0], [0.0, 4.0]], 10, axis=0) + rng.normal(0, 0.01, (30, 2))
    X = np.vstack([hard, [[-3.0, 0.0], [3.0, 0.0], [-3.0, 1.0], [3.0, 1.0]]])
    answers = [[]] * 30 + [["x"], ["x", "y"], ["z"], ["x", "y", "z"]]
    model = MultiLabelModel(LogisticRegression(), ML_LABELS).fit(X[30:], answers[30:])
    ctx = QueryContext(X, np.arange(30), np.arange(30, 34), answers[30:], model, rng)
    assert sorted({int(i) // 10 for i in select("margin:max+diverse", ctx, 3)}) == [0, 1, 2]


def test_display_method_of_multilabel_strategies():
    assert strategies.display_method("entropy:max") == "entropy:max"
    assert strategies.display_method("margin:max:3/random:1") == "margin:max"
    assert strategies.display_method("cardinality") == "margin"
    assert strategies.display_method("margin+diverse") == "margin"  # single names as before
