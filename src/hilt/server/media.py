"""``GET /media/PATH``: the image files the items' image column names, from the project's image
folder only.

Served to annotators like the pages (the token cookie, or a ``Bearer`` header); which file a
path may read is decided by :meth:`hilt.Project.media_file` (403 for ``..``, absolute paths,
links out of the folder and files that are not images by their suffix; 404 for a missing
file). Images named by an ``http(s)`` URL are never fetched here: the page shows the URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from hilt.project.media import IMAGE_SUFFIXES
from hilt.server.auth import annotator_for, request_token

__all__ = ["router"]

router = APIRouter()


@router.get("/media/{path:path}")
def media(request: Request, path: str) -> FileResponse:
    """One image file of the project's image folder."""
    annotator_for(request, request_token(request), page=False)
    file = request.app.state.project.media_file(path)
    # Private: images may be as confidential as the items; the browser keeps them for a session.
    return FileResponse(file, media_type=IMAGE_SUFFIXES[file.suffix.lower()],
                        headers={"Cache-Control": "private, max-age=3600"})
