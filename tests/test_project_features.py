"""Featurizers in use: a project records its featurizer and keys its feature cache by it, a user's
transformer is checked at create time and kept in the file, ``hilt init --features`` and
``hilt simulate --features`` through the real executable, the in-memory learner and the
simulation's settings. The featurizers themselves are tested in test_features.py.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.svm import LinearSVC
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import hilt.features.embeddings as embeddings_module
from hilt import Project, simulate
from hilt.errors import InputError
from hilt.features import (
    EmbeddingFeatures,
    ScaleFeatures,
    TfidfEmbeddingFeatures,
    TfidfFeatures,
    TransformerFeatures,
)
from hilt.learner import ActiveLearner
from hilt.project.features import FeatureCache, cache_folder
from hilt.store import Store
from helpers import hilt, user_error, write_csv

LABELS = ["pos", "neg"]
POS = ["good", "great", "wonderful", "delightful", "superb", "charming"]
NEG = ["bad", "awful", "dull", "boring", "terrible", "lifeless"]
NEUTRAL = ["film", "plot", "cast", "story", "scene", "music", "ending", "actor"]


def reviews(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """``n`` short reviews (``id``, ``text``) with their true ``sentiment``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = LABELS[i % 2]
        words = list(rng.choice(POS if label == "pos" else NEG, 2)) + list(rng.choice(NEUTRAL, 3))
        rng.shuffle(words)
        rows.append({"id": f"r{i:03d}", "text": " ".join(words), "sentiment": label})
    return pd.DataFrame(rows)


def partly_labelled(frame: pd.DataFrame, n_labelled: int = 10) -> pd.DataFrame:
    """The first ``n_labelled`` rows keep their sentiment (imported as labels), the rest have none."""
    frame = frame.copy()
    frame["sentiment"] = frame["sentiment"].astype(object)
    frame.loc[frame.index[n_labelled:], "sentiment"] = None
    return frame


def table(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["label"] = np.where(x[:, 0] > 0, "high", "low").astype(object)
    frame.loc[frame.index[10:], "label"] = None
    return frame


def meta(path) -> dict:
    store = Store.open(path)
    try:
        return store.meta()
    finally:
        store.close()


def cached_matrix(project: Project):
    """The project's cached feature matrix (rows in import order)."""
    return project._job.features.get(project._store)[0]


def nothing_left(folder, path, keep=()) -> None:
    assert not path.exists(), "a project file was left behind"
    assert not cache_folder(path).exists(), "a cache folder was left behind"
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)


def wait_for(condition, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return value


# --- what a project records and uses -----------------------------------------------------------


def test_a_text_project_uses_tfidf_plus_embeddings_by_default(tmp_path):
    frame = reviews(30)
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(frame), LABELS, id_column="id", label_column="sentiment",
                        eval_share=0, seed=0) as project:
        assert project.status()["features"] == "tfidf+embeddings"
        assert isinstance(project.featurizer, TfidfEmbeddingFeatures)
        assert project.warm() == "built"
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 10
        # The logistic regression has the strength measured for these features.
        assert project._job.model.estimator.C == TfidfEmbeddingFeatures.classifier_C == 3.0
        X = cached_matrix(project)
        item = project.next_item("ana")
        assert item.guess in LABELS
    recorded = meta(path)
    assert recorded["features"] == TfidfEmbeddingFeatures().spec()
    assert recorded["featurizer"] is None  # a registry name needs nothing pickled
    # The cache: one file per block, the embeddings a plain float32 array of 0.7-long rows.
    folder = cache_folder(path)
    written = json.loads((folder / "features.json").read_text())
    assert written["blocks"] == ["features-0.npz", "features-1.npy"]
    assert written["featurizer"] == TfidfEmbeddingFeatures().spec()
    embeddings = np.load(folder / "features-1.npy")
    assert embeddings.shape == (30, 256) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 0.7, rtol=1e-5)
    tfidf = sp.load_npz(folder / "features-0.npz")
    assert written["n_features"] == X.shape[1] == tfidf.shape[1] + 256
    np.testing.assert_array_equal(X.toarray(), np.hstack([tfidf.toarray(), embeddings]))


def test_tfidf_by_name_gives_scikit_learns_numbers_and_its_own_strength(tmp_path):
    frame = reviews(30)
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(frame), LABELS, id_column="id", label_column="sentiment",
                        features="tfidf", eval_share=0, seed=0) as project:
        status = project.status()
        assert status["features"] == "tfidf"
        X = cached_matrix(project)
        want = TfidfVectorizer(sublinear_tf=True).fit_transform(frame["text"])
        np.testing.assert_array_equal(X.toarray(), want.toarray().astype(np.float32))
        project.retrain(wait=True)
        assert project._job.model.estimator.C == TfidfFeatures.classifier_C
        assert len(project.status()["runs"]) == 1
    assert meta(path)["features"] == TfidfFeatures().spec()
    assert json.loads((cache_folder(path) / "features.json").read_text())["blocks"] == ["features-0.npz"]


def test_a_table_project_scales_by_default(tmp_path):
    frame = table(30)
    with Project.create(tmp_path / "t.hilt", frame, ["high", "low"], label_column="label", eval_share=0,
                        seed=0) as project:
        assert project.status()["features"] == "scale"
        X = cached_matrix(project)
        np.testing.assert_array_equal(X, StandardScaler().fit_transform(frame[["a", "b", "c"]]).astype(np.float32))
        project.retrain(wait=True)
        assert project._job.model.estimator.C == ScaleFeatures.classifier_C == 1.0


def test_warm_reports_the_embedding_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings_module, "CHUNK", 4)
    calls: list[tuple[int, int]] = []
    with Project.create(tmp_path / "p.hilt", reviews(10)[["id", "text"]], LABELS, id_column="id",
                        features="embeddings") as project:
        assert project.warm(progress=lambda done, total: calls.append((done, total))) == "built"
        assert project.warm(progress=lambda done, total: calls.append((done, total))) == "memory"
    assert calls == [(4, 10), (8, 10), (10, 10)]  # the second warm built nothing


@pytest.mark.parametrize(
    "data, features, message",
    [
        ("text", "bogus", "Expected features to be one of tfidf, embeddings, tfidf+embeddings, scale"),
        ("text", "scale", "Expected features for text items (tfidf, embeddings, tfidf+embeddings); got 'scale'"),
        ("table", "embeddings", "Expected features for table items (scale); got 'embeddings'"),
        ("table", "tfidf+embeddings", "got 'tfidf+embeddings', which works on text items only"),
    ],
)
def test_features_that_do_not_fit_leave_nothing_behind(tmp_path, data, features, message):
    frame = reviews(10) if data == "text" else table(10).drop(columns="label")
    frame.to_csv(tmp_path / "items.csv", index=False)
    path = tmp_path / "p.hilt"
    with pytest.raises(InputError) as caught:
        Project.create(path, tmp_path / "items.csv", ["x", "y"], features=features)
    assert message in str(caught.value)
    nothing_left(tmp_path, path, keep=["items.csv"])


# --- the cache is keyed by the featurizer ------------------------------------------------------


def test_the_cache_is_read_back_only_by_the_same_featurizer(tmp_path):
    frame = reviews(20)
    path = tmp_path / "p.hilt"
    with Project.create(path, frame[["id", "text"]], LABELS, id_column="id", features="tfidf") as project:
        assert project.warm() == "built"
        width = cached_matrix(project).shape[1]
    with Project.open(path) as project:
        assert project.warm() == "disk"

    folder = cache_folder(path)
    store = Store.open(path)
    try:
        other = FeatureCache(folder, "text", [], "tfidf+embeddings")
        X = other.get(store)[0]
        assert other.last_source == "built"  # not the TF-IDF matrix on disk
        assert X.shape == (20, width + 256)
        again = FeatureCache(folder, "text", [], "tfidf+embeddings")
        assert again.get(store)[0].shape == X.shape and again.last_source == "disk"
        smaller = FeatureCache(folder, "text", [], TfidfFeatures(max_features=5))
        assert smaller.get(store)[0].shape == (20, 5) and smaller.last_source == "built"  # parameters count too
        back = FeatureCache(folder, "text", [], "tfidf")
        assert back.get(store)[0].shape == (20, width) and back.last_source == "built"
        # The project's featurizer is what its settings say: change them and it builds anew.
        store.set_meta("features", TfidfEmbeddingFeatures().spec())
    finally:
        store.close()
    with Project.open(path) as project:
        assert project.status()["features"] == "tfidf+embeddings"
        assert project.warm() == "built"
        assert cached_matrix(project).shape == (20, width + 256)


@pytest.mark.parametrize("kind, expected", [("text", "tfidf"), ("table", "scale")])
def test_a_project_made_before_featurizers_were_recorded_opens_with_tfidf_or_scaling(tmp_path, kind, expected):
    path = tmp_path / "old.hilt"
    frame = reviews(12)[["id", "text"]] if kind == "text" else table(12).drop(columns="label")
    Project.create(path, frame, ["x", "y"], features="tfidf" if kind == "text" else None).close()
    with sqlite3.connect(path) as conn:  # what a project file written before this change holds
        conn.execute("DELETE FROM meta WHERE key IN ('features', 'featurizer')")
    assert "features" not in meta(path)
    with Project.open(path) as project:
        assert project.status()["features"] == expected
        assert project.featurizer.spec() == (TfidfFeatures() if kind == "text" else ScaleFeatures()).spec()
        assert cached_matrix(project).shape[0] == 12


# --- a user's transformer ----------------------------------------------------------------------


def test_a_user_transformer_is_fitted_cached_kept_and_used_again(tmp_path):
    frame = reviews(30)
    path = tmp_path / "p.hilt"
    given = CountVectorizer(binary=True)
    with Project.create(path, partly_labelled(frame), LABELS, id_column="id", label_column="sentiment",
                        features=given, eval_share=0, seed=0) as project:
        assert project.status()["features"] == "custom:CountVectorizer"
        X = cached_matrix(project)
        want = CountVectorizer(binary=True).fit_transform(frame["text"])
        np.testing.assert_array_equal(X.toarray(), want.toarray().astype(np.float32))
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 10
        assert project._job.model.estimator.C == 1.0  # no strength measured for a user's features
    assert not hasattr(given, "vocabulary_")  # the user's object was copied, never fitted
    recorded = meta(path)
    assert recorded["features"]["name"] == "custom:CountVectorizer"
    assert recorded["featurizer"]  # pickled in the file, like a user's model
    with Project.open(path) as project:
        assert project.status()["features"].startswith("custom:")
        assert isinstance(project.featurizer, TransformerFeatures)
        assert isinstance(project.featurizer.transformer, CountVectorizer) and project.featurizer.transformer.binary
        assert project.warm() == "disk"
        project.answer(project.next_item("ana").id, "pos", "ana")
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 11


def test_a_user_table_pipeline_with_a_custom_model(tmp_path):
    frame = table(30)
    pipeline = make_pipeline(FunctionTransformer(np.abs), StandardScaler())
    with Project.create(tmp_path / "t.hilt", frame, ["high", "low"], label_column="label", features=pipeline,
                        model=GaussianNB(), eval_share=0, seed=0) as project:
        assert project.status()["features"] == "custom:Pipeline"
        want = make_pipeline(FunctionTransformer(np.abs), StandardScaler()).fit_transform(frame[["a", "b", "c"]].to_numpy())
        np.testing.assert_allclose(cached_matrix(project), want.astype(np.float32), rtol=1e-6)
        project.retrain(wait=True)
        assert isinstance(project._job.model.estimator, GaussianNB)
        assert project.status()["runs"][-1]["n_train"] == 10


class Raises:
    def fit(self, X, y=None):
        raise RuntimeError("the GPU is on fire")

    def transform(self, X):
        return X


class DropsARow:
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.ones((len(X) - 1, 2))


def _unpicklable():
    class Local(CountVectorizer):  # a class defined in a function cannot be pickled
        pass

    return Local()


@pytest.mark.parametrize(
    "make, message",
    [
        (Raises, "Expected the transformer Raises to fit the items; it raised RuntimeError: the GPU is on fire"),
        (DropsARow, "featurizer 'custom:DropsARow' to return one row per item (12 rows); got 11 rows"),
        (_unpicklable, "Expected a transformer that can be pickled; Local cannot"),
        (object, "Expected features to be a featurizer name or a scikit-learn transformer"),
    ],
    ids=["raises", "wrong-rows", "unpicklable", "not-a-transformer"],
)
def test_a_user_transformer_that_cannot_work_is_an_input_error_and_leaves_nothing(tmp_path, make, message):
    reviews(12).to_csv(tmp_path / "items.csv", index=False)
    path = tmp_path / "p.hilt"
    with pytest.raises(InputError) as caught:
        Project.create(path, tmp_path / "items.csv", LABELS, id_column="id", features=make())
    assert message in str(caught.value)
    nothing_left(tmp_path, path, keep=["items.csv"])


def test_a_user_transformer_is_tried_on_the_first_200_items_only(tmp_path):
    from hilt.project import core

    assert core.TRANSFORMER_CHECK_ITEMS == 200
    with pytest.raises(InputError, match=r"\(200 rows\); got 199 rows"):
        Project.create(tmp_path / "p.hilt", reviews(230)[["id", "text"]], LABELS, id_column="id",
                       features=DropsARow())


def test_the_retrain_process_reads_the_cache_a_user_transformer_built(tmp_path, monkeypatch):
    """The cache key of a user's transformer is the same in another process: the retrain child
    process reads the features the parent built instead of building them again."""
    monkeypatch.setenv("HILT_RETRAIN_PROCESS", "always")
    frame = table(40)
    pipeline = make_pipeline(FunctionTransformer(np.nan_to_num), StandardScaler())
    with Project.create(tmp_path / "t.hilt", frame, ["high", "low"], label_column="label", features=pipeline,
                        eval_share=0, seed=0) as project:
        assert project.warm() == "built"
        project.retrain()  # in the background: the child process
        report = wait_for(lambda: project._job.last_report, what="the child's run")
        assert project.status()["retrain_error"] is None
        assert report.n_train == 10
        assert report.features_source == "disk"


# --- a model that takes only non-negative input --------------------------------------------------


def test_multinomial_naive_bayes_gets_tfidf_unless_features_are_named(tmp_path):
    """Sentence embeddings have negative values, which multinomial naive Bayes refuses: without
    features named, such a model gets TF-IDF (what every text project had before)."""
    frame = partly_labelled(reviews(30))
    with Project.create(tmp_path / "p.hilt", frame, LABELS, id_column="id", label_column="sentiment",
                        model=MultinomialNB(), eval_share=0, seed=0) as project:
        assert project.status()["features"] == "tfidf"
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] == 10 and project.status()["retrain_error"] is None
    with Project.create(tmp_path / "q.hilt", frame, LABELS, id_column="id", label_column="sentiment",
                        model=MultinomialNB(), features=CountVectorizer()) as project:
        assert project.status()["features"] == "custom:CountVectorizer"  # named features are kept
    with Project.create(tmp_path / "r.hilt", frame, LABELS, id_column="id", label_column="sentiment",
                        model=LinearSVC()) as project:
        assert project.status()["features"] == "tfidf+embeddings"  # other models get the default


@pytest.mark.parametrize("model, features", [(MultinomialNB(), "tfidf+embeddings"), (GaussianNB(), None)])
def test_a_model_that_cannot_fit_the_features_is_refused_at_create(tmp_path, model, features):
    """Naive Bayes named with embeddings (negative values), Gaussian naive Bayes on a sparse
    matrix: tried on the first items at create, refused there, nothing left behind, rather than
    a project whose every retrain fails in the background."""
    frame = partly_labelled(reviews(30))
    path = tmp_path / "p.hilt"
    with pytest.raises(InputError, match=f"Expected the model {type(model).__name__} to fit the tfidf\\+embeddings"):
        Project.create(path, frame, LABELS, id_column="id", model=model, features=features)
    assert not path.exists() and not cache_folder(path).exists()


# --- the command line --------------------------------------------------------------------------

SMALL_REVIEWS = [(f"r{i:02d}", text, "") for i, text in enumerate([
    "A warm, funny film with a big heart.", "Dull and far too long.", "The cast is wonderful.",
    "I checked my watch every five minutes.", "A delight from start to finish.", "Lifeless and loud.",
])]


def test_cli_init_builds_the_default_features_and_the_project_reports_them(tmp_path):
    data = write_csv(tmp_path / "reviews.csv", SMALL_REVIEWS)
    path = tmp_path / "reviews.hilt"
    result = hilt("init", path, "--data", data, "--labels", "pos,neg", "--id-column", "id")
    assert result.returncode == 0, result.stderr
    assert "features tfidf+embeddings" in " ".join(result.stderr.split())
    # init built the features (so that the first session starts at once): both blocks are on disk.
    written = json.loads((cache_folder(path) / "features.json").read_text())
    assert written["blocks"] == ["features-0.npz", "features-1.npy"] and written["n_items"] == 6
    with Project.open(path) as project:
        assert project.status()["features"] == "tfidf+embeddings"
        assert project.warm() == "disk"


def test_cli_init_with_tfidf_features_and_the_status_row(tmp_path):
    data = write_csv(tmp_path / "reviews.csv", SMALL_REVIEWS)
    path = tmp_path / "reviews.hilt"
    result = hilt("init", path, "--data", data, "--labels", "pos,neg", "--features", "tfidf")
    assert result.returncode == 0, result.stderr
    assert "strategy margin, features tfidf." in " ".join(result.stderr.split())
    assert json.loads((cache_folder(path) / "features.json").read_text())["blocks"] == ["features-0.npz"]
    status = hilt("status", path)
    assert status.returncode == 0, status.stderr
    assert re.search(r"│\s*features\s*│\s*tfidf\s*│", status.stdout), status.stdout


@pytest.mark.parametrize(
    "rows, header, features, message",
    [
        (SMALL_REVIEWS, ("id", "text", "sentiment"), "bogus",
         "Expected features to be one of tfidf, embeddings, tfidf+embeddings, scale, vectors:COLUMN, "
         "vectors:FILE.npz, tfidf+vectors:COLUMN (or a scikit-learn transformer in Python); got 'bogus'."),
        ([(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)], ("x", "y"), "embeddings",
         "Expected features for table items (scale); got 'embeddings', which works on text items only."),
    ],
    ids=["unknown-name", "embeddings-for-a-table"],
)
def test_cli_init_with_features_that_do_not_fit_exits_2_and_creates_nothing(tmp_path, rows, header, features, message):
    data = write_csv(tmp_path / "items.csv", rows, header=header)
    path = tmp_path / "p.hilt"
    result = hilt("init", path, "--data", data, "--labels", "a,b", "--features", features)
    assert message in user_error(result)
    nothing_left(tmp_path, path, keep=["items.csv"])


def test_cli_simulate_names_the_features_and_the_strength_in_its_title(tmp_path):
    result = hilt("simulate", "movie_reviews", "--strategies", "random", "--features", "tfidf", "--seeds", "1",
                     "--budget", "60", "--init", "20", "--batch", "20", "--no-plot", "-q", "--json", "out.json",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "logistic (C=3) on tfidf features" in " ".join(result.stdout.split())
    settings = json.loads((tmp_path / "out.json").read_text())["settings"]
    assert settings["features"] == "tfidf" and settings["classifier_C"] == 3.0


# --- the in-memory learner and the simulation ---------------------------------------------------


def test_the_learner_with_named_features():
    frame = reviews(40)
    texts, y = frame["text"].tolist(), frame["sentiment"].to_numpy()
    learner = ActiveLearner(texts, labels=LABELS, features="tfidf", random_state=0)
    assert learner.model.estimator.C == TfidfFeatures.classifier_C
    width = TfidfVectorizer().fit(texts).vocabulary_.__len__()
    assert learner.transform(["a good film"]).shape == (1, width)
    learner.teach(np.arange(10), y[:10])
    assert not learner.is_cold
    assert learner.accuracy(texts[10:], y[10:]) > 0.8  # the sentiment words carry it
    default = ActiveLearner(texts, labels=LABELS, random_state=0)  # no model, no features: the default
    assert default.transform(["a good film"]).shape == (1, width + 256)
    with pytest.raises(InputError, match="works on text items only"):
        ActiveLearner(np.ones((5, 2)), labels=LABELS, features="tfidf")


def test_the_learner_with_a_user_transformer_and_model():
    frame = reviews(40)
    texts, y = frame["text"].tolist(), frame["sentiment"].to_numpy()
    learner = ActiveLearner(texts, labels=LABELS, features=CountVectorizer(), model=MultinomialNB(), random_state=0)
    assert isinstance(learner.model.estimator, MultinomialNB)
    assert learner.transform(texts[:3]).shape == (3, len(CountVectorizer().fit(texts).vocabulary_))
    learner.teach(np.arange(10), y[:10])
    probs = learner.predict_proba(texts[10:])
    assert probs.shape == (30, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert learner.query(5).size == 5


def test_simulate_records_the_features_and_the_strength():
    result = simulate.run("iris", strategies="random", init=10, batch=10, budget=30, seeds=1, features="scale")
    assert result.settings["features"] == "scale" and result.settings["classifier_C"] == ScaleFeatures.classifier_C
    custom = simulate.run("iris", strategies="random", init=10, batch=10, budget=30, seeds=1,
                          features=make_pipeline(StandardScaler(), FunctionTransformer(np.tanh)))
    assert custom.settings["features"] == "custom:Pipeline" and custom.settings["classifier_C"] == 1.0
    forest = simulate.run("iris", strategies="random", init=10, batch=10, budget=30, seeds=1, model="forest")
    assert forest.settings["features"] == "scale" and forest.settings["classifier_C"] is None
    with pytest.raises(InputError, match="got 'embeddings', which works on text items only"):
        simulate.run("iris", strategies="random", features="embeddings")


def test_simulate_on_texts_with_named_features_and_naive_bayes():
    frame = reviews(80)
    common = dict(label_column="sentiment", text_column="text", strategies="random", init=10, batch=10, budget=30,
                  seeds=1)
    tfidf = simulate.run(frame, features="tfidf", **common)
    assert tfidf.settings["features"] == "tfidf" and tfidf.settings["classifier_C"] == 3.0
    both = simulate.run(frame, **common)
    assert both.settings["features"] == "tfidf+embeddings" and both.settings["classifier_C"] == 3.0
    # Multinomial naive Bayes refuses the embeddings' negative values: it gets TF-IDF.
    bayes = simulate.run(frame, model="naive_bayes", **common)
    assert bayes.settings["features"] == "tfidf" and bayes.settings["classifier_C"] is None
    assert 0.0 <= bayes.full_accuracy <= 1.0


# --- after an import: the new items' rows are added, not every row rebuilt -----------------------


def more_reviews(n: int, start: int, seed: int, extra_word: str | None = None) -> pd.DataFrame:
    """``n`` unlabelled reviews with ids from ``start``; ``extra_word`` (a word the first items
    never use) ends every text."""
    frame = reviews(n, seed)[["id", "text"]]
    frame["id"] = [f"n{start + i:03d}" for i in range(n)]
    if extra_word:
        frame["text"] = frame["text"] + f" {extra_word}"
    return frame


def embedded_rows(monkeypatch) -> list[int]:
    """Counts the texts WordLlama embeds from now on, call by call."""
    counted: list[int] = []
    real = embeddings_module._mean_of_tokens

    def counting(model, texts):
        counted.append(len(texts))
        return real(model, texts)

    monkeypatch.setattr(embeddings_module, "_mean_of_tokens", counting)
    return counted


def fresh_build(path, features) -> tuple:
    """The project's features built from nothing (what a full rebuild gives), in another folder."""
    store = Store.open(path)
    try:
        kind = store.meta()["kind"]
        columns = list(store.meta().get("feature_columns") or [])
        folder = path.parent / "fresh"
        shutil.rmtree(folder, ignore_errors=True)
        return FeatureCache(folder, kind, columns, features).get(store)
    finally:
        store.close()


def dense(X) -> np.ndarray:
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X)


def new_items_ranked(project: Project, new_ids) -> set:
    return set(new_ids) & {key for key, _, _ in project._store.ranking()}


def test_after_an_import_embeddings_are_computed_for_the_new_items_only(tmp_path, monkeypatch):
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(reviews(40)), LABELS, id_column="id", label_column="sentiment",
                        features="embeddings", eval_share=0, seed=0, retrain_every=1000) as project:
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "built"
        counted = embedded_rows(monkeypatch)
        new = more_reviews(8, 0, seed=1)
        assert project.import_items(new)["added"] == 8
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "extended"
        assert sum(counted) == 8 and project._features.last_transformed == 8  # only the new items
        X, rowids, _ = cached_matrix(project), *project._features.get(project._store)[1:]
        assert X.shape == (48, 256) and rowids.tolist() == list(range(1, 49))
        # Per item: exactly the rows a rebuild gives, and the ranking covers the new items.
        np.testing.assert_array_equal(X, fresh_build(path, "embeddings")[0])
        assert new_items_ranked(project, new["id"]) == set(new["id"])
        # Embeddings are never fitted again, however much the pool grows.
        counted.clear()
        project.import_items(more_reviews(40, 100, seed=2))
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "extended" and sum(counted) == 40


def test_after_an_import_tfidf_keeps_its_vocabulary_until_a_retrain_refits(tmp_path):
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(reviews(40)), LABELS, id_column="id", label_column="sentiment",
                        features="tfidf", eval_share=0, seed=0, retrain_every=1000) as project:
        project.retrain(wait=True)
        before = dense(cached_matrix(project)).copy()
        vocabulary = dict(project.featurizer._vectorizer.vocabulary_)
        # 8 items (a fifth of the 40 fitted on) with a word the vocabulary lacks.
        new = more_reviews(8, 0, seed=1, extra_word="zebra")
        project.import_items(new)
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "extended"
        assert project._features.last_transformed == 8
        X = dense(cached_matrix(project))
        assert X.shape == (48, len(vocabulary)) and "zebra" not in vocabulary
        np.testing.assert_array_equal(X[:40], before)  # the old rows as they were
        kept = TfidfVectorizer(sublinear_tf=True, vocabulary=vocabulary)
        kept.idf_ = project.featurizer._vectorizer.idf_
        np.testing.assert_allclose(X[40:], kept.transform(new["text"]).toarray(), rtol=1e-6)
        assert new_items_ranked(project, new["id"]) == set(new["id"])
        # 2 more make 10 since the fit, a quarter of 40 (REFIT_SHARE): a read extends ...
        more = more_reviews(2, 50, seed=3, extra_word="zebra")
        project.import_items(more)
        assert project.warm() == "extended" and cached_matrix(project).shape[1] == len(vocabulary)
        # ... and the next retrain fits again: the new word counts, every row is a rebuild's.
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "built"
        assert "zebra" in project.featurizer._vectorizer.vocabulary_
        np.testing.assert_array_equal(dense(cached_matrix(project)), dense(fresh_build(path, "tfidf")[0]))
        assert written_fit(path) == {"top": 50, "fitted_top": 50}


def written_fit(path) -> dict:
    written = json.loads((cache_folder(path) / "features.json").read_text())
    return {"top": written["top"], "fitted_top": written["fitted_top"]}


def test_a_later_process_extends_the_cache_on_disk_with_the_fit_kept_there(tmp_path, monkeypatch):
    # hilt import in one process, the server's retrain in another: the fitted vocabulary is
    # read back from the cache folder (fitted.pkl), so the new rows are the same as in-process.
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(reviews(40)), LABELS, id_column="id", label_column="sentiment",
                        features="tfidf+embeddings", eval_share=0, seed=0) as project:
        project.retrain(wait=True)
    assert written_fit(path) == {"top": 40, "fitted_top": 40}
    new = more_reviews(6, 0, seed=1, extra_word="zebra")
    with Project.open(path) as project:
        project.import_items(new)
    counted = embedded_rows(monkeypatch)
    with Project.open(path) as project:
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "extended" and sum(counted) == 6
        X = cached_matrix(project)
        assert new_items_ranked(project, new["id"]) == set(new["id"])
    assert written_fit(path) == {"top": 46, "fitted_top": 40}
    with Project.open(path) as project:  # and read back as extended
        assert project.warm() == "disk"
        np.testing.assert_array_equal(dense(cached_matrix(project)), dense(X))


def test_a_refit_of_tfidf_plus_embeddings_embeds_only_the_new_texts(tmp_path, monkeypatch):
    path = tmp_path / "p.hilt"
    with Project.create(path, partly_labelled(reviews(40)), LABELS, id_column="id", label_column="sentiment",
                        eval_share=0, seed=0, retrain_every=1000) as project:
        project.retrain(wait=True)
        counted = embedded_rows(monkeypatch)
        project.import_items(more_reviews(12, 0, seed=1, extra_word="zebra"))  # 30 %: due
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "built"
        assert sum(counted) == 12  # the TF-IDF block fitted again, the old embeddings kept
        X = cached_matrix(project)
        fresh = fresh_build(path, "tfidf+embeddings")[0]
        np.testing.assert_array_equal(dense(X), dense(fresh))


def test_a_table_project_scales_new_rows_with_the_fitted_means(tmp_path):
    frame = table(40)
    with Project.create(tmp_path / "t.hilt", frame, ["high", "low"], label_column="label", eval_share=0,
                        seed=0, retrain_every=1000) as project:
        project.retrain(wait=True)
        scaler = StandardScaler().fit(frame[["a", "b", "c"]])
        new = table(5, seed=1).drop(columns="label")
        project.import_items(new)
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "extended"
        np.testing.assert_allclose(cached_matrix(project)[40:], scaler.transform(new[["a", "b", "c"]]), rtol=1e-5, atol=1e-5)


def test_a_user_transformer_is_rebuilt_after_an_import(tmp_path):
    with Project.create(tmp_path / "p.hilt", partly_labelled(reviews(30)), LABELS, id_column="id",
                        label_column="sentiment", features=CountVectorizer(), eval_share=0, seed=0) as project:
        project.retrain(wait=True)
        project.import_items(more_reviews(3, 0, seed=1, extra_word="zebra"))
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "built"
        assert project._features.last_transformed == 33
        assert "zebra" in project._features.featurizer._fitted.vocabulary_


@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("features", ["tfidf", "embeddings"])
def test_the_cluster_extends_and_refits_as_the_local_cache_does(tmp_path, dask_cluster, monkeypatch, features):
    monkeypatch.setenv("HILT_DASK_PARTITION_ITEMS", "16")
    first, second = tmp_path / "local.hilt", tmp_path / "dask.hilt"
    Project.create(first, partly_labelled(reviews(40)), LABELS, id_column="id", label_column="sentiment",
                   features=features, eval_share=0, seed=0, retrain_every=1000).close()
    shutil.copy(first, second)
    address = dask_cluster.scheduler_address
    local = Project.open(first)
    dask = Project.open(second, scheduler=address)
    try:
        def both(data=None):
            for project in (local, dask):
                if data is not None:
                    project.import_items(data)
                project.retrain(wait=True)
            sources = (local._job.last_report.features_source, dask._job.last_report.features_source)
            transformed = (local._features.last_transformed, dask._job.features.last_transformed)
            assert [key for key, _, _ in local._store.ranking()] == [key for key, _, _ in dask._store.ranking()]
            parts, ranges, _ = dask._job.features.get(dask._store)
            client = dask._job.client  # the futures are the project's client's
            rows = client.gather([client.submit(lambda p: p.X, part, pure=False) for part in parts])
            joined = np.vstack([dense(getattr(r, "tocsr", lambda: r)()) for r in rows])
            np.testing.assert_array_equal(joined, dense(cached_matrix(local)))
            return sources, transformed, ranges

        assert both()[:2] == (("built", "built"), (40, 40))
        sources, transformed, ranges = both(more_reviews(8, 0, seed=1, extra_word="zebra"))
        assert sources == ("extended", "extended") and transformed == (8, 8)
        assert ranges[-1] == (41, 48)  # a partition of its own for the new items
        sources, transformed, _ = both(more_reviews(4, 60, seed=2, extra_word="zebra"))  # 12 since the fit
        if features == "tfidf":  # a quarter of the 40 fitted on: fitted again, on both
            assert sources == ("built", "built") and transformed == (52, 52)
        else:
            assert sources == ("extended", "extended") and transformed == (4, 4)
    finally:
        local.close()
        dask.close()
