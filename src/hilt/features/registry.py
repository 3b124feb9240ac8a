"""The featurizers by name: one line each. Add a featurizer by adding a module and a line here."""

from __future__ import annotations

from typing import Any, Callable

from hilt.errors import InputError
from hilt.features.base import Featurizer
from hilt.features.custom import TransformerFeatures
from hilt.features.table import ScaleFeatures
from hilt.features.text import EmbeddingFeatures, TfidfEmbeddingFeatures, TfidfFeatures
from hilt.features.vectors import TfidfVectorFeatures, VectorFeatures

__all__ = ["FEATURIZERS", "SOURCED_FEATURIZERS", "DEFAULT_FEATURES", "check_kind", "get_featurizer", "names_for", "describe"]

#: Name -> (factory, one line for ``--help``).
FEATURIZERS: dict[str, tuple[Callable[[], Featurizer], str]] = {
    "tfidf": (TfidfFeatures, "TF-IDF over words (text)"),
    "embeddings": (EmbeddingFeatures, "static sentence embeddings, WordLlama 256-d, offline (text)"),
    "tfidf+embeddings": (TfidfEmbeddingFeatures, "both side by side (text; the default)"),
    "scale": (ScaleFeatures, "numeric columns scaled to mean 0, spread 1 (tables; the default)"),
}

#: Prefix -> (factory of the part after ``PREFIX:``, one line for ``--help``): featurizers of a
#: source the user names, a column or a file (``vectors:emb``, ``tfidf+vectors:emb.npz``).
SOURCED_FEATURIZERS: dict[str, tuple[Callable[[str], Featurizer], str]] = {
    "vectors": (VectorFeatures, "your own vectors: vectors:COLUMN (lists of numbers) or vectors:FILE.npz "
                                "(arrays ids, vectors) aligned by item id (text or tables)"),
    "tfidf+vectors": (TfidfVectorFeatures, "TF-IDF beside your own vectors: tfidf+vectors:COLUMN or FILE (text)"),
}

#: What a project uses when ``features`` is not given: the best measured label efficiency.
DEFAULT_FEATURES = {"text": "tfidf+embeddings", "table": "scale"}


def names_for(kind: str) -> list[str]:
    """The registry names that accept items of ``kind``."""
    return [name for name, (make, _) in FEATURIZERS.items() if kind in make.kinds]


def check_kind(featurizer: Featurizer, kind: str) -> None:
    """Raise :class:`~hilt.errors.InputError` unless ``featurizer`` accepts items of ``kind``;
    the message lists the registry's featurizers that do (which is why the check lives here,
    beside the registry, and not on :class:`~hilt.features.Featurizer`).

    Examples
    --------
    >>> from hilt.features import ScaleFeatures
    >>> from hilt.features.registry import check_kind
    >>> check_kind(ScaleFeatures(), "table")
    >>> check_kind(ScaleFeatures(), "text")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected features for text items (tfidf, embeddings, tfidf+embeddings); got 'scale', which works on table items only.
    """
    if kind not in featurizer.kinds:
        raise InputError(
            f"Expected features for {kind} items ({', '.join(names_for(kind))}); got {featurizer.name!r}, "
            f"which works on {' or '.join(featurizer.kinds)} items only."
        )


def describe() -> str:
    """One line per featurizer, for help texts."""
    return "; ".join(f"{name}: {line}" for name, (_, line) in (*FEATURIZERS.items(), *SOURCED_FEATURIZERS.items()))


def get_featurizer(features: Any, kind: str, *, model: Any = None) -> Featurizer:
    """A fresh featurizer for items of ``kind`` from a name, a featurizer or a transformer.

    ``None`` is the default for ``kind`` (:data:`DEFAULT_FEATURES`), except that a ``model``
    that takes only non-negative input (multinomial naive Bayes) gets ``tfidf`` for text: the
    sentence embeddings have negative values. A name must be one of :data:`FEATURIZERS` and fit
    ``kind``; anything else must be a scikit-learn transformer.

    Examples
    --------
    >>> from hilt.features import get_featurizer
    >>> get_featurizer(None, "table").name, get_featurizer("tfidf", "text").name
    ('scale', 'tfidf')
    >>> get_featurizer("embeddings", "table")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected features for table items (scale); got 'embeddings', which works on text items only.
    """
    if kind not in DEFAULT_FEATURES:
        raise InputError(f"Expected item kind 'text' or 'table', got {kind!r}.")
    if features is None:
        features = "tfidf" if kind == "text" and model is not None and _positive_only(model) else DEFAULT_FEATURES[kind]
    if isinstance(features, str):
        prefix, colon, source = features.strip().partition(":")
        if colon and prefix.strip().lower() in SOURCED_FEATURIZERS:  # the source keeps its case
            featurizer = SOURCED_FEATURIZERS[prefix.strip().lower()][0](source)
            check_kind(featurizer, kind)
            return featurizer
        name = features.strip().lower()
        if name in SOURCED_FEATURIZERS:
            raise InputError(f"Expected {name}:COLUMN or {name}:FILE.npz (which column or file holds the vectors); "
                             f"got {features!r}.")
        if name not in FEATURIZERS:
            raise InputError(
                f"Expected features to be one of {', '.join(FEATURIZERS)}, vectors:COLUMN, vectors:FILE.npz, "
                f"tfidf+vectors:COLUMN (or a scikit-learn transformer in Python); got {features!r}."
            )
        featurizer = FEATURIZERS[name][0]()
    elif isinstance(features, Featurizer):
        featurizer = features
    else:
        featurizer = TransformerFeatures(features)
    check_kind(featurizer, kind)
    return featurizer


def _positive_only(model: Any) -> bool:
    """Whether a scikit-learn ``model`` refuses negative input (its ``positive_only`` tag)."""
    try:
        from sklearn.utils import get_tags  # scikit-learn >= 1.6
    except ImportError:
        tags = getattr(model, "_get_tags", None)
        return bool(callable(tags) and tags().get("requires_positive_X", False))
    try:
        return bool(get_tags(model).input_tags.positive_only)
    except Exception:  # not a scikit-learn estimator: nothing to go by
        return False
