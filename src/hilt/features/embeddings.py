"""Static sentence embeddings that work with no network: WordLlama's weights ship in its wheel.

``wordllama`` 0.4.0.post1 looks for its tokenizer in the wrong folder and then tries to
download it; pointing ``cache_dir`` at the package's own folder with downloads disabled loads
the bundled files and never touches the network (a test proves it with sockets blocked).
The weights (``l2_supercat``) are derived from the token embeddings of LLaMA-2 / phi-3 models.
"""

from __future__ import annotations

import itertools
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
            chunk = list(texts[start:start + CHUNK])
            out[start:start + len(chunk)] = _mean_of_tokens(model, chunk)
            if progress is not None:
                progress(start + len(chunk), len(texts))
        return out


def _mean_of_tokens(model: Any, texts: list[str]) -> np.ndarray:
    """WordLlama's sentence embedding (the mean of the texts' token vectors, scaled to unit
    length), computed as a sparse token-count matrix times the token vectors.

    ``WordLlama.embed`` pads each batch to its longest text and gathers a (texts x tokens x
    dim) array: a batch of long posts takes gigabytes and most of the time goes to padding
    (2,000 newsgroup posts: 50 s, 8 GB). The product touches each token once, with no padding.
    A text with no known token (an empty one) gets a row of zeros.
    """
    import scipy.sparse as sp

    token_ids = [e.ids for e in model.tokenizer.encode_batch(texts, add_special_tokens=False)]
    lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=len(token_ids))
    ids = np.fromiter(itertools.chain.from_iterable(token_ids), dtype=np.int64, count=int(lengths.sum()))
    vectors = model.embedding
    np.clip(ids, 0, vectors.shape[0] - 1, out=ids)  # as WordLlama does with ids past its table
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    counts = sp.csr_matrix((np.ones(ids.size, dtype=np.float32), ids, indptr), shape=(len(texts), vectors.shape[0]))
    sums = np.asarray(counts @ vectors, dtype=np.float32)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)


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
    model = WordLlama.load(config=WordLlamaEmbedder.CONFIG, cache_dir=Path(wordllama.__file__).parent,
                           disable_download=True, dim=256, trunc_dim=None if dim == 256 else dim)
    model.tokenizer.no_padding()  # this process's own copy; _mean_of_tokens needs no padding
    return model
