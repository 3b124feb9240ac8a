"""Where an export goes: the target checked (:func:`checked_target`) and the file written whole
or not at all (:func:`write_whole`). Every export (labels, predictions, CoNLL) goes through both."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from hilt.errors import InputError

__all__ = ["checked_target", "write_whole"]


def checked_target(path: Path, *, overwrite: bool, suffix: str) -> None:
    """Refuse an existing file (unless ``overwrite``), a missing folder and a folder as the target.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> checked_target(folder / "labels.csv", overwrite=False, suffix=".csv")
    >>> checked_target(folder, overwrite=True, suffix=".csv")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a file name for the export, like .../labels.csv; ... is a folder.
    """
    if path.is_file() and not overwrite:
        raise InputError(
            f"Expected a new file for the export, but {path} exists. Choose another name, or replace "
            "it with --force (Python: overwrite=True)."
        )
    if not path.parent.is_dir():
        raise InputError(f"Expected an existing folder for the export at {path.parent}, but there is none.")
    if path.is_dir():
        raise InputError(f"Expected a file name for the export, like {path / ('labels' + suffix)}; {path} is a folder.")


def write_whole(path: Path, write: Callable[[Path], Any]) -> Any:
    """``write(tmp)`` to a temporary file beside ``path``, then moved into place: a reader sees the
    old file or the complete new one, and a write refused halfway leaves nothing behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        result = write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return result
