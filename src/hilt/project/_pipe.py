"""The pipe between a project and its retrain child process: framed pickles, both ways.

Each message is one pickle preceded by its length in 8 bytes (little-endian), so that a reader
knows where a message ends without a delimiter that a pickle might contain. The parent
(:class:`hilt.project.worker.RetrainWorker`) writes to the child's stdin and reads its stdout;
the child (:mod:`hilt.project._retrain_process`) the other way round. Kept apart from both so
that neither imports the other for it.

Examples
--------
>>> import io
>>> from hilt.project._pipe import receive, send
>>> stream = io.BytesIO()
>>> send(stream, ("ok", 42))
>>> _ = stream.seek(0)
>>> receive(stream)
('ok', 42)
>>> receive(stream)
Traceback (most recent call last):
...
EOFError: the other side closed the pipe
"""

from __future__ import annotations

import pickle
import struct
from typing import Any, BinaryIO

__all__ = ["receive", "send"]

_HEADER = struct.Struct("<Q")


def send(stream: BinaryIO, message: Any) -> None:
    """Write one framed pickle and flush."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """Read one framed pickle; raise :class:`EOFError` at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe mid-message")
    return pickle.loads(data)
