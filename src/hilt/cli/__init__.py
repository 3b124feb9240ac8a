"""The ``hilt`` command line: thin commands over the library, grouped by what they do."""

from __future__ import annotations

from hilt.cli.app import app

# Each module registers its commands on ``app`` when imported.
from hilt.cli import version as _version  # noqa: F401,E402
from hilt.cli import demo as _demo  # noqa: F401,E402
# The project's life cycle, in the order hilt --help lists it: init, import, status, retrain, export, config.
from hilt.cli import create as _create  # noqa: F401,E402
from hilt.cli import status as _status  # noqa: F401,E402
from hilt.cli import export as _export  # noqa: F401,E402
from hilt.cli import config as _config  # noqa: F401,E402
from hilt.cli import quality as _quality  # noqa: F401,E402
from hilt.cli import suggestions as _suggestions  # noqa: F401,E402
from hilt.cli import label as _label  # noqa: F401,E402
from hilt.cli import search as _search  # noqa: F401,E402
from hilt.cli import simulate as _simulate  # noqa: F401,E402
from hilt.cli import serve as _serve  # noqa: F401,E402

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``hilt`` console script."""
    app()
