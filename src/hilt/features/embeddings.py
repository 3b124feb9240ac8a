"""Static sentence embeddings that work with no network: WordLlama's weights ship in its wheel.

``wordllama`` 0.4.0.post1 looks for its tokenizer in the wrong folder and then tries to
download it; pointing ``cache_dir`` at the package's own folder with downloads disabled loads
the bundled files and never touches the network (a test proves it with sockets blocked).
The weights (``l2_supercat``) are derived from the token embeddings of LLaMA-2 / phi-3 models.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np

from hilt.errors import InputError

__all__ = ["WordLlamaEmbedder", "CHUNK"]

#: Texts embedded per step: progress is reported and cancellation checked between chunks.
CHUNK = 8_192

_models: dict[int, Any] = {}
_models_lock = threading.Lock()


class WordLlamaEmbedder:
    """Embeds texts with the bundled WordLlama model, ``dim`` dimensions, rows of unit length.

    Examples
    --------
    >>> from hilt.features.embeddings import WordLlamaEmbedder
    >>> E = WordLlamaEmbedder().embed(["a good film", "a bad film"])
    >>> E.shape, str(E.dtype)
    ((2, 256), 'float32')
    >>> round(float((E[0] ** 2).sum()), 4)
    1.0
    """

    CONFIG = "l2_supercat"

    def __init__(self, dim: int = 256):
        if dim not in (64, 128, 256):
            raise InputError(f"Expected an embedding dimension of 64, 128 or 256; got {dim!r}.")
        self.dim = int(dim)

    def params(self) -> dict:
        return {"model": self.CONFIG, "dim": self.dim}

    def version(self) -> str:
        from importlib.metadata import version

        return f"wordllama {version('wordllama')}"

    def model(self) -> Any:
        """The loaded model, shared by every embedder of this process (loading takes ~0.5 s)."""
        with _models_lock:
            if self.dim not in _models:
                _models[self.dim] = _load(self.dim)
            return _models[self.dim]

    def embed(self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] = lambda: False) -> np.ndarray:
        """A float32 array of shape ``(len(texts), dim)``, in chunks of :data:`CHUNK` texts."""
        model = self.model()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            if cancelled():
                raise InterruptedError("feature build cancelled")
            chunk = [t if t.strip() else " " for t in texts[start:start + CHUNK]]
            out[start:start + len(chunk)] = model.embed(chunk, norm=True, batch_size=256)
            if progress is not None:
                progress(start + len(chunk), len(texts))
        if len(texts) == 0:
            return out
        # An empty or unknown text embeds as zeros (norm 0 would give NaN): keep it zero.
        np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        return out


def _load(dim: int) -> Any:
    from pathlib import Path

    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        raise InputError(
            "Expected the wordllama package for sentence embeddings (pip install wordllama); it is not "
            "installed. Use --features tfidf to go without embeddings."
        ) from None
    return WordLlama.load(config=WordLlamaEmbedder.CONFIG, cache_dir=Path(wordllama.__file__).parent,
                          disable_download=True, dim=256, trunc_dim=None if dim == 256 else dim)
