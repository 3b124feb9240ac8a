"""Real data sets that work offline: one bundled text corpus and scikit-learn's bundled sets."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from hilt.errors import InputError

__all__ = ["SKLEARN_DATASETS", "load_movie_reviews", "load_sklearn"]

#: scikit-learn data sets shipped inside scikit-learn itself (no download).
SKLEARN_DATASETS = ("digits", "breast_cancer", "wine", "iris")


def load_movie_reviews() -> pd.DataFrame:
    """4,866 Rotten Tomatoes review snippets labelled ``fresh`` or ``rotten``.

    Columns ``id, text, sentiment, movie``. See ``hilt/data/README.md`` for source and licence.

    Examples
    --------
    >>> from hilt.datasets import load_movie_reviews
    >>> reviews = load_movie_reviews()
    >>> reviews.shape, sorted(reviews["sentiment"].unique())
    ((4866, 4), ['fresh', 'rotten'])
    """
    with resources.files("hilt.data").joinpath("movie_reviews.csv.gz").open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", dtype=str, keep_default_na=False)


def load_sklearn(name: str) -> pd.DataFrame:
    """One of scikit-learn's bundled data sets as a frame of numeric features plus ``label``.

    Examples
    --------
    >>> from hilt.datasets import load_sklearn
    >>> load_sklearn("iris").shape
    (150, 5)
    """
    from sklearn import datasets

    if name not in SKLEARN_DATASETS:
        raise InputError(
            f"Expected a bundled data set name ({', '.join(SKLEARN_DATASETS)}), got {name!r}."
        )
    bunch = getattr(datasets, f"load_{name}")()
    columns = [str(c) for c in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    frame = pd.DataFrame(bunch.data, columns=columns)
    frame["label"] = [str(bunch.target_names[t]) if hasattr(bunch, "target_names") else str(t) for t in bunch.target]
    return frame
