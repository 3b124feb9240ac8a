"""Values read from a file as plain Python: missing values, ids and labels as text, JSON-able values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__: list[str] = []


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _as_text(value: Any) -> str | None:
    """An id or label as text: 3 and 3.0 both become "3"; missing becomes None."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plain(value: Any) -> Any:
    """A plain, JSON-able Python value: numpy scalars unboxed, NaN -> None, times -> ISO."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, dict)):
        return value
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if _is_missing(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
