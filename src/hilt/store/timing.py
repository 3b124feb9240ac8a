"""How long people spent on their answers (the ``seconds`` the faces measure): read back for
the medians of :mod:`hilt.project.timing`.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

from typing import Any

from hilt.store.engine import read

__all__ = ["TimingMixin"]


class TimingMixin:
    """Seconds per answer: methods of :class:`hilt.store.Store`."""

    _engine: Any

    def answer_seconds(self) -> list[tuple[int, str, float]]:
        """``(item row id, annotator, seconds)`` of every current answer that has a label (not
        a skip, not retracted) and a measured time, oldest first."""
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT item, annotator, seconds FROM answers WHERE retracted = 0 AND label IS NOT NULL "
                "AND seconds IS NOT NULL ORDER BY id").all()
        return [(int(item), str(annotator), float(seconds)) for item, annotator, seconds in rows]
