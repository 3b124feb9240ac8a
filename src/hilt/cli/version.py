"""``hilt version``."""

from __future__ import annotations

import typer

from hilt import __version__
from hilt.cli.app import app


@app.command()
def version() -> None:
    """Print hilt's version.

    Example: hilt version
    """
    typer.echo(__version__)
