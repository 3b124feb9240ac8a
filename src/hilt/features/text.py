"""Text featurizers: TF-IDF over words, static sentence embeddings, and the two side by side."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from hilt.features.base import Featurizer, Progress, as_float32
from hilt.features.embeddings import WordLlamaEmbedder

__all__ = ["TfidfFeatures", "EmbeddingFeatures", "TfidfEmbeddingFeatures", "WordCounts"]


class TfidfFeatures(Featurizer):
    """Sublinear TF-IDF over single words (at most 200,000 of them), rows of unit length.

    Words, not word pairs: with the few hundred labels a labelling project has, bigrams only
    dilute the weights (bundled movie reviews, 5 random draws: 0.557 at 200 labels for
    unigrams, 0.531 for (1, 2)-grams), and a million-item pool's matrix is a third the size.

    Examples
    --------
    >>> from hilt.features import TfidfFeatures
    >>> TfidfFeatures().fit_transform(["good film", "bad film", "a film"]).shape
    (3, 3)
    """

    name = "tfidf"
    kinds = ("text",)
    #: New items keep the fitted vocabulary and weights (a new word counts once refitted).
    incremental = "kept"
    #: Measured: C = 3 is the best logistic regression on TF-IDF at 200 labels and at full
    #: data across the benchmark text sets (C = 1 under-fits the few labels).
    classifier_C = 3.0

    def __init__(self, max_features: int = 200_000):
        self.max_features = max_features
        self._vectorizer: Any = None

    def params(self) -> dict:
        return {"sublinear_tf": True, "ngram_range": [1, 1], "min_df": 1, "max_features": int(self.max_features)}

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 1), min_df=1,
                                           max_features=int(self.max_features))
        return [as_float32(self._vectorizer.fit_transform(_texts(items)))]

    def _transform_blocks(self, items: Any) -> list[Any]:
        return [as_float32(self._vectorizer.transform(_texts(items)))]

    # A cluster's pass: each partition counts its words (term and document frequencies); the
    # merged counts give the vocabulary and the IDF weights exactly as a fit on the whole pool.
    distributable = True

    def partition_stats(self, items: Any) -> "WordCounts":
        from sklearn.feature_extraction.text import CountVectorizer

        texts = _texts(items)
        counts = CountVectorizer(ngram_range=(1, 1), min_df=1)
        try:
            X = counts.fit_transform(texts).tocsr()  # one read of the texts (fit + transform: two)
        except ValueError:  # no words at all in this partition
            return WordCounts.empty(len(texts))
        terms = counts.get_feature_names_out().astype(object)  # sorted, as columns are
        return WordCounts(terms, np.asarray(X.sum(axis=0), dtype=np.int64).ravel(),
                          np.bincount(X.indices, minlength=len(terms)).astype(np.int64), len(texts))

    def merge_stats(self, a: "WordCounts", b: "WordCounts") -> "WordCounts":
        return a.merge(b)

    def fit_stats(self, stats: "WordCounts") -> "TfidfFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not len(stats.terms):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        terms, tf, df = stats.terms, stats.tf, stats.df
        if len(terms) > self.max_features:
            # scikit-learn's own cut (_limit_features): the most frequent words, found by the
            # same argsort over the same alphabetical order, so ties fall the same way.
            keep = np.zeros(len(terms), dtype=bool)
            keep[(-tf).argsort()[: int(self.max_features)]] = True
            terms, df = terms[keep], df[keep]
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 1), min_df=1,
                                     vocabulary={t: i for i, t in enumerate(terms.tolist())})
        # TfidfTransformer.fit's smoothed IDF, in the same float64 steps.
        idf = np.full(len(df), stats.n_docs + 1, dtype=np.float64)
        idf /= df.astype(np.float64) + 1.0
        np.log(idf, out=idf)
        idf += 1.0
        vectorizer.idf_ = idf
        self._vectorizer = vectorizer
        return self


class WordCounts:
    """Term and document frequencies of some texts, terms in alphabetical order (a partition's
    share of :class:`TfidfFeatures`' fit; :meth:`merge` adds two up)."""

    def __init__(self, terms: np.ndarray, tf: np.ndarray, df: np.ndarray, n_docs: int):
        self.terms, self.tf, self.df, self.n_docs = terms, tf, df, int(n_docs)

    @classmethod
    def empty(cls, n_docs: int = 0) -> "WordCounts":
        return cls(np.empty(0, dtype=object), np.empty(0, np.int64), np.empty(0, np.int64), n_docs)

    def merge(self, other: "WordCounts") -> "WordCounts":
        terms, where = np.unique(np.concatenate([self.terms, other.terms]), return_inverse=True)
        tf = np.bincount(where, np.concatenate([self.tf, other.tf]).astype(np.float64), len(terms))
        df = np.bincount(where, np.concatenate([self.df, other.df]).astype(np.float64), len(terms))
        # (bincount sums in float64: exact for counts below 2**53)
        return WordCounts(terms.astype(object), tf.astype(np.int64), df.astype(np.int64),
                          self.n_docs + other.n_docs)


class EmbeddingFeatures(Featurizer):
    """Static sentence embeddings (WordLlama, 256 dimensions, unit length), computed offline.

    The model's weights ship inside the ``wordllama`` wheel; nothing is downloaded. Texts are
    embedded in chunks, so a long build reports progress and can be cancelled between chunks.
    """

    name = "embeddings"
    kinds = ("text",)
    classifier_C = 3.0
    #: Nothing is learnt from the pool: a new item's row is the one a rebuild would give it.
    incremental = "per_item"

    def __init__(self, dim: int = 256):
        self.dim = dim
        WordLlamaEmbedder(dim=dim)  # a bad dimension is an error now, not at the first fit

    @property
    def embedder(self) -> WordLlamaEmbedder:
        # Made from the current parameters (set_params may change dim); the model is shared.
        return WordLlamaEmbedder(dim=self.dim)

    def params(self) -> dict:
        return self.embedder.params()

    def version(self) -> str:
        return self.embedder.version()

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        return [self.embedder.embed(_texts(items), progress=progress, cancelled=cancelled)]

    def _transform_blocks(self, items: Any) -> list[Any]:
        return [self.embedder.embed(_texts(items))]

    # Nothing is learnt from the pool: each partition is embedded on its own.
    distributable = True

    def partition_stats(self, items: Any) -> None:
        return None

    def merge_stats(self, a: None, b: None) -> None:
        return None

    def fit_stats(self, stats: None) -> "EmbeddingFeatures":
        return self


class TfidfEmbeddingFeatures(Featurizer):
    """TF-IDF and sentence embeddings side by side.

    TF-IDF rows have unit length, embedding rows length ``embedding_weight`` (0.7): with equal
    weight the embeddings dominated once labels were many (movie reviews at full data: 0.708
    against TF-IDF's 0.721); at 0.7 the pair keeps most of the gain at 200 labels and loses
    less than a point at full data (measurements in the docs' benchmarks, features).

    The embeddings carry what words mean, which few labels cannot teach a TF-IDF model; the
    TF-IDF block keeps the exact words, which many labels can. Together they beat either alone
    at 200 labels and lose at most a point at full data (see the docs' benchmarks, features).
    """

    name = "tfidf+embeddings"
    kinds = ("text",)
    classifier_C = 3.0
    incremental = "kept"  # the TF-IDF block's vocabulary; the embeddings are per item

    def __init__(self, max_features: int = 200_000, dim: int = 256, embedding_weight: float = 0.7):
        self.max_features, self.dim, self.embedding_weight = max_features, dim, embedding_weight
        self.tfidf = TfidfFeatures(max_features)
        self.embeddings = EmbeddingFeatures(dim)

    def params(self) -> dict:
        tfidf, embeddings = self._parts()
        return {"tfidf": tfidf.params(), "embeddings": embeddings.params(),
                "embedding_weight": float(self.embedding_weight)}

    def version(self) -> str:
        tfidf, embeddings = self._parts()
        return f"{tfidf.version()}; {embeddings.version()}"

    def _parts(self) -> tuple[TfidfFeatures, EmbeddingFeatures]:
        # Made from the current parameters, which set_params may have changed since __init__.
        return TfidfFeatures(self.max_features), EmbeddingFeatures(self.dim)

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        texts = _texts(items)
        self.tfidf, self.embeddings = self._parts()
        first = self.tfidf._fit_blocks(texts, None, cancelled)
        return first + self._weighted(self.embeddings._fit_blocks(texts, progress, cancelled))

    def _transform_blocks(self, items: Any) -> list[Any]:
        texts = _texts(items)
        return self.tfidf._transform_blocks(texts) + self._weighted(self.embeddings._transform_blocks(texts))

    def refit_blocks(self, items: Any, kept: Any, *, progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False) -> list[Any]:
        """A new TF-IDF fit on every text, beside the embeddings of the first ``kept[1].shape[0]``
        texts kept from the previous fit (a row of embeddings depends on its text alone): a
        refit after imports embeds only the new texts."""
        texts = _texts(items)
        old = kept[1] if len(kept) == 2 and kept[1].shape[0] <= len(texts) else np.empty((0, self.dim), np.float32)
        self.tfidf, self.embeddings = self._parts()
        first = self.tfidf.fit_blocks(texts, cancelled=cancelled)
        new = self.embeddings.fit_blocks(texts[old.shape[0]:], progress=progress, cancelled=cancelled)
        return first + [np.concatenate([old, self._weighted(new)[0]])]

    distributable = True  # the TF-IDF part's counts; the embeddings need none

    def partition_stats(self, items: Any) -> WordCounts:
        return TfidfFeatures(self.max_features).partition_stats(items)

    def merge_stats(self, a: WordCounts, b: WordCounts) -> WordCounts:
        return a.merge(b)

    def fit_stats(self, stats: WordCounts) -> "TfidfEmbeddingFeatures":
        self.tfidf, self.embeddings = self._parts()
        self.tfidf.fit_stats(stats)
        return self

    def _weighted(self, blocks: list[Any]) -> list[Any]:
        for block in blocks:
            block *= np.float32(self.embedding_weight)  # in place: a million rows are 1 GB
        return blocks


def _texts(items: Any) -> list[str]:
    """Items as a list of strings (a missing text is the empty string)."""
    if hasattr(items, "tolist"):
        items = items.tolist()
    # pandas gives a missing text as NaN (or pd.NA), not None: it must not become the word "nan".
    return [t if isinstance(t, str) else "" if t is None or (pd.api.types.is_scalar(t) and pd.isna(t)) else str(t)
            for t in items]
