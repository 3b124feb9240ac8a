"""hilt: human-in-the-loop labelling.

A model ranks the unlabelled items it is least sure about, a person labels those, the model
retrains, and the ranking is refreshed.
"""

from typing import Any

from hilt._version import __version__
from hilt.errors import HiltError

__all__ = ["__version__", "HiltError", "Item", "Project"]

# Project pulls in pandas, scikit-learn and SQLAlchemy (about two seconds): load it on first
# use, so ``import hilt`` and ``hilt --help`` stay fast.
_LAZY = {"Project": "hilt.project", "Item": "hilt.project"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hilt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
