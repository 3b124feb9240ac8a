"""The names the project life-cycle commands' module used to hold, from the modules that hold them now.

The commands live by job: :mod:`hilt.cli.create` (``init``, ``import``), :mod:`hilt.cli.status`
(``status``, ``retrain``), :mod:`hilt.cli.export` (``export``) and :mod:`hilt.cli.config`
(``config``). Code that imported their helpers from here keeps working.
"""

from __future__ import annotations

from hilt.cli.app import stdout
from hilt.cli.config import CONFIG_KEYS, image_words, init_settings, parse_settings
from hilt.cli.create import import_notes, parse_columns, parse_labels
from hilt.cli.status import agreement_block, alpha_words, eval_line, status_tables, weakest_annotator

__all__ = [
    "CONFIG_KEYS",
    "agreement_block",
    "alpha_words",
    "eval_line",
    "image_words",
    "import_notes",
    "init_settings",
    "parse_columns",
    "parse_labels",
    "parse_settings",
    "status_tables",
    "stdout",
    "weakest_annotator",
]
