"""The typed results as pydantic models keyed by their JSON names: the reply shapes the API's
OpenAPI description (``GET /api/openapi.json``) shows.

Only the description: an endpoint still sends the result's ``to_dict()``, so a reply stays the
JSON it was, key for key. (A result used as FastAPI's ``response_model`` would be sent by its
attribute names, and ``Agreement.n_items`` is ``items`` in the JSON.)
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any

from pydantic import BaseModel, create_model

from hilt.project.results import Status

__all__ = ["response_model", "status_response"]


@functools.cache
def response_model(result: type) -> type[BaseModel]:
    """A pydantic model with the JSON keys and types of ``result`` (a class of
    :mod:`hilt.project.results`), nested results as nested models.

    Examples
    --------
    >>> from hilt.project.results import Agreement, PairAgreement
    >>> model = response_model(Agreement)
    >>> list(model.model_fields)
    ['items', 'alpha', 'by_annotator', 'pairs']
    >>> model.model_fields["pairs"].annotation == dict[str, response_model(PairAgreement)]
    True
    """
    fields: dict[str, Any] = {key: (_model_type(kind), ...) for key, kind in result.json_fields()}
    summary = (result.__doc__ or "").split("\n\n")[0]
    return create_model(result.__name__, __doc__=" ".join(summary.split()), **fields)


def _model_type(kind: Any) -> Any:
    """``kind`` with every result class in it replaced by its :func:`response_model`."""
    if isinstance(kind, type) and hasattr(kind, "json_fields"):
        return response_model(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        return list[_model_type(args[0])]
    if origin is dict:
        return dict[_model_type(args[0]), _model_type(args[1])]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_model_type(arg) for arg in args)]
    return kind


def status_response() -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of ``GET /api/status``: its 200 reply described as a :class:`Status`."""
    return {200: {"model": response_model(Status), "description": "The project's status."}}
