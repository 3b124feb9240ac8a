"""The classifiers ``hilt simulate --model`` can name.

Every one of them is fitted on features computed once by :func:`hilt.features.get_featurizer`
(``hilt simulate --features``), so the simulation never re-featurizes.
"""

from __future__ import annotations

from typing import Any

from hilt.errors import InputError
from hilt.models import default_classifier

__all__ = ["MODELS", "make_classifier"]

#: Model names and what they stand for (shown by ``hilt simulate --help``).
MODELS = {
    "logistic": "logistic regression, warm-started (hilt's default)",
    "naive_bayes": "multinomial naive Bayes for text, Gaussian naive Bayes for tables",
    "svm": "linear SVM; its decision function turned into probabilities by a softmax",
    "forest": "random forest of 100 trees",
}


def make_classifier(name: str, kind: str, random_state: int | None = 0, C: float = 1.0) -> Any:
    """An unfitted classifier for ``name`` and item ``kind`` (``"text"`` or ``"table"``).

    ``C`` is the logistic regression's strength, chosen per featurizer
    (:attr:`hilt.features.Featurizer.classifier_C`).

    Examples
    --------
    >>> from hilt.simulate import make_classifier
    >>> type(make_classifier("naive_bayes", "text")).__name__
    'MultinomialNB'
    >>> type(make_classifier("naive_bayes", "table")).__name__
    'GaussianNB'
    """
    if name == "logistic":
        return default_classifier(random_state, C=C)
    if name == "naive_bayes":
        from sklearn.naive_bayes import GaussianNB, MultinomialNB

        return MultinomialNB() if kind == "text" else GaussianNB()
    if name == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=1.0, random_state=random_state)
    if name == "forest":
        from sklearn.ensemble import RandomForestClassifier

        # One job per tree fit: parallelism comes from running strategies and seeds side by side.
        return RandomForestClassifier(n_estimators=100, random_state=random_state, n_jobs=1)
    raise InputError(f"Expected --model to be one of {', '.join(MODELS)}; got {name!r}.")
