"""A user's own scikit-learn transformer as a featurizer."""

from __future__ import annotations

import hashlib
import re
import types
from typing import Any, Callable

import numpy as np

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
        # The text must be the same in every process (the cache is read back by the next session
        # and by the retrain process), so it is not repr(): that names a function by its memory
        # address and prints a set in hash order.
        return {"class": _qualified(type(self.transformer)),
                "params_sha256": hashlib.sha256(_describe(self.transformer).encode()).hexdigest()[:16]}

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


def _qualified(thing: Any) -> str:
    return f"{getattr(thing, '__module__', None)}.{getattr(thing, '__qualname__', type(thing).__qualname__)}"


def _describe(value: Any) -> str:
    """``value`` as text that is the same in every process: an estimator by its class and
    parameters, a function or class by its qualified name, a set sorted, an array by a hash of
    its bytes, and anything else by its ``repr`` without memory addresses."""
    get_params = getattr(value, "get_params", None)
    if callable(get_params) and not isinstance(value, type):
        try:
            params = get_params(deep=False)
        except TypeError:  # a get_params that is not scikit-learn's
            params = get_params()
        return f"{_qualified(type(value))}({', '.join(f'{k}={_describe(v)}' for k, v in sorted(params.items()))})"
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(f"{_describe(k)}: {_describe(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__}({', '.join(_describe(v) for v in value)})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_describe(v) for v in value)) + "}"
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return f"array({value.dtype}, {value.shape}, {digest})"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return _qualified(value)
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
