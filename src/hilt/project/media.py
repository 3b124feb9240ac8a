"""Images named by a column of the items: a path inside the folder the user named, or a URL.

The labelling and review pages show an item's image (``image_column``) as an ``<img>``: an
``http://`` or ``https://`` URL as it is given (the browser fetches it; hilt proxies nothing),
and any other value as a path relative to ``image_folder``, served by ``hilt serve`` at
``GET /media/PATH``. This module decides which file such a request may read
(:func:`media_file`), the one rule for the server: only a regular file inside the folder (after
following symbolic links), named by a relative path without ``..``, whose suffix is an image's.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from hilt.errors import ForbiddenError, InputError, NotFoundError

__all__ = ["IMAGE_SUFFIXES", "check_image_folder", "image_source", "is_url", "media_file"]

#: The suffixes of the files ``GET /media/`` serves, with their media types.
IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                  ".webp": "image/webp", ".bmp": "image/bmp", ".avif": "image/avif",
                  ".tif": "image/tiff", ".tiff": "image/tiff"}


def is_url(value: Any) -> bool:
    """Whether an image cell is a web address the page shows as it is.

    Examples
    --------
    >>> is_url("https://example.org/cat.png"), is_url("cats/1.png")
    (True, False)
    """
    return isinstance(value, str) and value.strip().lower().startswith(("http://", "https://"))


def check_image_folder(folder: Any) -> str:
    """``folder`` as an absolute path, or :class:`~hilt.errors.InputError` unless it is an
    existing folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_image_folder(tempfile.gettempdir()) == str(pathlib.Path(tempfile.gettempdir()).resolve())
    True
    """
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise InputError(f"Expected image_folder to be a folder of images; got {folder!r}.")
    path = Path(folder).expanduser()
    if not path.is_dir():
        what = "a file" if path.exists() else "no such folder"
        raise InputError(f"Expected image_folder to be an existing folder of images; {path} is {what}.")
    return str(path.resolve())


def image_source(meta: dict) -> dict | None:
    """``{"column", "folder"}`` of a project's images from its meta (``folder`` may be
    ``None``: then only URLs are shown), or ``None`` when it has no image column."""
    column = meta.get("image_column")
    return None if not column else {"column": column, "folder": meta.get("image_folder")}


def media_file(folder: str | None, path: str) -> Path:
    """The file of the image folder ``folder`` that ``GET /media/PATH`` may send.

    Refused with :class:`~hilt.errors.ForbiddenError` (403): an absolute path, a path with a
    ``..`` part, a suffix that is not an image's (:data:`IMAGE_SUFFIXES`), and a path that leaves
    the folder through a symbolic link. :class:`~hilt.errors.NotFoundError` (404): no folder
    set, or no such file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.png").write_bytes(b"not really a png")
    >>> media_file(str(folder), "a.png").name
    'a.png'
    >>> media_file(str(folder), "../etc/passwd.png")
    Traceback (most recent call last):
    ...
    hilt.errors.ForbiddenError: Expected a path inside the image folder, without '..'; got '../etc/passwd.png'.
    """
    if not folder:
        raise NotFoundError("Expected an image folder to serve images from; the project has none "
                            "(hilt config PROJECT image_folder=DIR).")
    text = str(path)
    parts = PurePosixPath(text.replace("\\", "/")).parts
    if not text or "\x00" in text or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
        raise ForbiddenError(f"Expected a path relative to the image folder; got {text!r}.")
    if ".." in parts:
        raise ForbiddenError(f"Expected a path inside the image folder, without '..'; got {text!r}.")
    if PurePosixPath(text).suffix.lower() not in IMAGE_SUFFIXES:
        raise ForbiddenError(f"Expected an image file ({', '.join(sorted(IMAGE_SUFFIXES))}); got {text!r}.")
    root = Path(folder).resolve()
    candidate = root.joinpath(*parts)
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise NotFoundError(f"Expected an image at {text!r} in the image folder; there is none.") from None
    if not real.is_relative_to(root):
        raise ForbiddenError(f"Expected an image inside the image folder; {text!r} leads out of it (a link).")
    if not real.is_file():
        raise NotFoundError(f"Expected an image at {text!r} in the image folder; there is none.")
    return real
