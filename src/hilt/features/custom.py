"""A user's own scikit-learn transformer as a featurizer."""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from hilt.errors import InputError
from hilt.features.base import Featurizer, Progress

__all__ = ["TransformerFeatures"]


class TransformerFeatures(Featurizer):
    """Any scikit-learn transformer (``fit_transform`` and ``transform``), e.g. a pipeline.

    It gets the items as they are: a list of strings for text, a 2-D float array for tables.
    A transformer that raises while fitting, or returns a number of rows other than the
    number of items, is an :class:`hilt.errors.InputError` naming what went wrong.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from hilt.features import TransformerFeatures
    >>> features = TransformerFeatures(CountVectorizer())
    >>> features.name, features.fit_transform(["a good film", "a bad film"]).shape
    ('custom:CountVectorizer', (2, 3))
    """

    kinds = ("text", "table")

    def __init__(self, transformer: Any):
        if not (hasattr(transformer, "fit_transform") or
                (hasattr(transformer, "fit") and hasattr(transformer, "transform"))):
            raise InputError(
                "Expected features to be a featurizer name or a scikit-learn transformer (with fit and "
                f"transform); got {type(transformer).__name__} that has neither."
            )
        self.transformer = transformer
        self.name = f"custom:{type(transformer).__name__}"
        self._fitted: Any = None

    def params(self) -> dict:
        # The parameters as text, hashed: enough to tell two configurations apart in the cache key.
        get_params = getattr(self.transformer, "get_params", None)
        text = repr(sorted(get_params(deep=True).items(), key=lambda kv: kv[0])) if get_params else repr(self.transformer)
        return {"class": f"{type(self.transformer).__module__}.{type(self.transformer).__qualname__}",
                "params_sha256": hashlib.sha256(text.encode()).hexdigest()[:16]}

    def version(self) -> str:
        module = type(self.transformer).__module__.split(".")[0]
        try:
            from importlib.metadata import version

            return f"{module} {version(module if module != 'sklearn' else 'scikit-learn')}"
        except Exception:  # a user's own module has no distribution metadata
            return module

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        from sklearn.base import clone

        try:
            self._fitted = clone(self.transformer)
        except TypeError:  # not a scikit-learn estimator (no get_params): use it as it is
            self._fitted = self.transformer
        try:
            if hasattr(self._fitted, "fit_transform"):
                return [self._fitted.fit_transform(items)]
            return [self._fitted.fit(items).transform(items)]
        except InterruptedError:
            raise
        except Exception as error:
            raise InputError(f"Expected the transformer {self.name[7:]} to fit the items; it raised "
                             f"{type(error).__name__}: {error}") from None

    def _transform_blocks(self, items: Any) -> list[Any]:
        try:
            return [self._fitted.transform(items)]
        except Exception as error:
            raise InputError(f"Expected the transformer {self.name[7:]} to transform the items; it raised "
                             f"{type(error).__name__}: {error}") from None


