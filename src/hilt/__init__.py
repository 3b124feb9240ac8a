"""hilt: human-in-the-loop labelling.

A model ranks the unlabelled items it is least sure about, a person labels those, the model
retrains, and the ranking is refreshed.
"""

from hilt._version import __version__
from hilt.errors import HiltError

__all__ = ["__version__", "HiltError"]
