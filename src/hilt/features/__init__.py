"""Features: the items as the model sees them, one matrix row per item.

A registry of featurizers (:data:`FEATURIZERS`): ``tfidf``, ``embeddings`` (static sentence
embeddings that work offline) and ``tfidf+embeddings`` for text, ``scale`` for table rows,
``vectors:COLUMN`` / ``vectors:FILE.npz`` (the items' own vectors) and ``tfidf+vectors:…``, and
any scikit-learn transformer a user passes in Python (:class:`TransformerFeatures`). Each names
itself (:meth:`Featurizer.spec`: name, parameters, library version), which a project records in
its settings and keys its feature cache by.

Examples
--------
>>> from hilt.features import get_featurizer
>>> featurizer = get_featurizer("tfidf", "text")
>>> featurizer.fit_transform(["good film", "bad film"]).shape
(2, 3)
>>> featurizer.spec()["name"]
'tfidf'
"""

from hilt.features.base import Featurizer, check_rows
from hilt.features.custom import TransformerFeatures
from hilt.features.registry import (DEFAULT_FEATURES, FEATURIZERS, SOURCED_FEATURIZERS, describe, get_featurizer,
                                    names_for)
from hilt.features.table import ScaleFeatures
from hilt.features.text import EmbeddingFeatures, TfidfEmbeddingFeatures, TfidfFeatures
from hilt.features.vectors import TfidfVectorFeatures, VectorFeatures

__all__ = [
    "DEFAULT_FEATURES",
    "FEATURIZERS",
    "SOURCED_FEATURIZERS",
    "EmbeddingFeatures",
    "Featurizer",
    "ScaleFeatures",
    "TfidfEmbeddingFeatures",
    "TfidfFeatures",
    "TfidfVectorFeatures",
    "TransformerFeatures",
    "VectorFeatures",
    "check_rows",
    "describe",
    "get_featurizer",
    "names_for",
]
