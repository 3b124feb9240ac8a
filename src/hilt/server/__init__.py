"""The web face of a project: labelling page, dashboard and JSON API (``hilt serve``)."""

from hilt.server.app import create_app

__all__ = ["create_app"]
