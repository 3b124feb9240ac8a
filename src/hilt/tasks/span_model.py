"""The sequence model of the ``spans`` task: a linear-chain CRF over the tokens of each text.

Each item is a text; its tokens are those of :func:`hilt.tasks.spans_text.tokenize` (the ones the
page's cursor moves over), and the model gives each token an IOB2 tag (``B-LABEL``, ``I-LABEL``,
``O``). A person's spans are snapped to those tokens to learn from (:func:`snap_spans`), and the
best labelling is turned back into spans (:func:`tags_to_spans`), with offsets into the text.

Training is CRFsuite's (python-crfsuite: L-BFGS with L1 and L2 penalties) over hand-made token
features (the word lowercased, its prefixes and suffixes, its shape, whether it is capitalised, a
number or punctuation, whether it touches the token before, the words around it, the start and
the end of the text). Word vectors as extra features (hashed WordLlama vectors) were measured and
left out: +0.002 and +0.007 entity F1 at 200 and 1,000 training tweets, well inside the
interval, for loading the embedding model in every process (``docs/benchmarks/span_model.md``). Inference is this module's own, in numpy: the model's state-feature and
transition weights are read once, each token's emission scores are a sparse product, and
:mod:`hilt.sampling.sequence` gives the best labelling, its probability, the runner-up and the
token marginals of every text of a batch at once (CRFsuite's tagger does one text at a time and
gives neither the second-best labelling nor the marginals of all tokens in one call). A test
checks that both give the same labelling and the same probability.

The trained model is kept as CRFsuite's file *bytes*, so the object pickles (the project keeps
models in its store and ships them to worker processes); the weights are read again from the
bytes on first use after unpickling.

Examples
--------
>>> from hilt.tasks.span_model import SpanModel
>>> texts = ["Ada met Grace in Paris", "Grace flew to Rome", "Ada stayed home", "nice weather"]
>>> answers = [[{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 13, "label": "PER"},
...             {"start": 17, "end": 22, "label": "LOC"}],
...            [{"start": 0, "end": 5, "label": "PER"}, {"start": 14, "end": 18, "label": "LOC"}],
...            [{"start": 0, "end": 3, "label": "PER"}], []]
>>> model = SpanModel(["PER", "LOC"]).fit(texts, answers)
>>> model.predict(["Grace met Ada"])
[[{'start': 0, 'end': 5, 'label': 'PER'}, {'start': 10, 'end': 13, 'label': 'PER'}]]
>>> model.predict_proba(["Grace met Ada", ""]).shape
(2, 8)
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.sampling.sequence import SEQUENCE_METHODS, best_and_uncertainty
from hilt.tasks.spans_answer import check_spans
from hilt.tasks.spans_text import snap_spans, spans_to_tags, tags_to_spans, tokenize

__all__ = ["SpanModel", "token_features"]

#: Texts scored per batch of the CRF recursions (sorted by length, so padding stays small), and
#: the most token slots (texts x longest text) a batch may hold: memory stays near 100 MB
#: whatever the texts' lengths (a long document is scored alone).
BATCH = 512
BATCH_TOKENS = 100_000
#: Texts featurized at a time: the emission scores of a pool are never all in memory at once.
GROUP = 8_192


def _shape(word: str) -> str:
    """``Xx``, ``d``, ``x.x``...: each character as its kind, runs collapsed (``McDonald`` -> ``XxXx``)."""
    out = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.isalpha() else "d" if char.isdigit() else char
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)[:6]


def token_features(text: str, tokens: Sequence[tuple[int, int]]) -> list[list[str]]:
    """Each token's features (CRFsuite attributes, each of weight 1).

    Examples
    --------
    >>> from hilt.tasks.span_model import token_features
    >>> from hilt.tasks.spans_text import tokenize
    >>> text = "@Ada in Paris"
    >>> token_features(text, tokenize(text))[1][:8]
    ['bias', 'w=ada', 'p2=ad', 'p3=ada', 's2=da', 's3=ada', 'shape=Xx', 'title']
    """
    words = [text[start:end] for start, end in tokens]
    lower = [word.lower() for word in words]
    n = len(words)
    out: list[list[str]] = []
    for i, (word, low) in enumerate(zip(words, lower)):
        feats = ["bias", "w=" + low, "p2=" + low[:2], "p3=" + low[:3], "s2=" + low[-2:], "s3=" + low[-3:],
                 "shape=" + _shape(word)]
        if word.istitle():
            feats.append("title")
        if word.isupper():
            feats.append("upper")
        if word.isdigit():
            feats.append("digit")
        if not word[0].isalnum():
            feats.append("punct")
        if i and tokens[i - 1][1] == tokens[i][0]:
            feats.append("glued")  # no space before: "@" + "name", "#" + "tag", "New" + "'s"
        if i == 0:
            feats.append("BOS")
        else:
            feats.append("-1:w=" + lower[i - 1])
            if words[i - 1].istitle():
                feats.append("-1:title")
            if i > 1:
                feats.append("-2:w=" + lower[i - 2])
        if i == n - 1:
            feats.append("EOS")
        else:
            feats.append("+1:w=" + lower[i + 1])
            if words[i + 1].istitle():
                feats.append("+1:title")
            if i < n - 2:
                feats.append("+2:w=" + lower[i + 2])
        out.append(feats)
    return out


def _texts(texts: Any, what: str = "texts") -> list[str]:
    """``texts`` as a list of str, or an InputError saying what came instead."""
    if isinstance(texts, (str, bytes)):
        raise InputError(f"Expected {what} as a 1-D sequence of strings (one text per item); got a single "
                         f"{type(texts).__name__} {texts[:40]!r}. Wrap it in a list.")
    if hasattr(texts, "to_numpy") and not isinstance(texts, np.ndarray):
        texts = texts.to_numpy()  # a pandas Series (a frame becomes 2-D and is refused below)
    if isinstance(texts, np.ndarray):
        if texts.ndim != 1:
            raise InputError(f"Expected {what} as a 1-D sequence of strings (one text per item); got a "
                             f"{texts.ndim}D array of shape {texts.shape}.")
        texts = texts.tolist()
    if not isinstance(texts, (list, tuple)):
        raise InputError(f"Expected {what} as a 1-D sequence of strings (one text per item); "
                         f"got {type(texts).__name__}.")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"Expected {what} as a 1-D sequence of strings; item {i} is "
                             f"{type(text).__name__} {text!r}.")
    return list(texts)


class SpanModel:
    """A CRF that marks spans (named entities) in texts, with the uncertainty of each labelling.

    Parameters
    ----------
    labels : sequence of str
        The project's span labels (``PER``, ``LOC``...); the model's tags are ``O`` and ``B-``/``I-``
        of each label it has seen in training.
    c1, c2 : float
        CRFsuite's L1 and L2 penalties (L1 keeps the model small: most feature weights are 0).
    max_iterations : int
        L-BFGS iterations per fit.

    Attributes
    ----------
    labels : list of str
    is_fitted : bool
    spans : bool
        True: ``predict`` gives span lists, ``predict_proba`` one column per :attr:`METHODS`.
    multilabel : bool
        False.
    METHODS : tuple of str
        The columns of :meth:`predict_proba` (:data:`hilt.sampling.sequence.SEQUENCE_METHODS`).
    """

    spans = True
    multilabel = False
    METHODS = SEQUENCE_METHODS

    def __init__(self, labels: Sequence[str], *, c1: float = 0.05, c2: float = 0.05, max_iterations: int = 100):
        if isinstance(labels, str) or not isinstance(labels, Iterable):
            raise InputError(f"Expected the span labels as a list of strings; got {labels!r}.")
        labels = list(labels)
        if not labels or not all(isinstance(label, str) and label for label in labels):
            raise InputError(f"Expected at least one span label, each a non-empty string; got {labels!r}.")
        if len(set(labels)) != len(labels):
            raise InputError(f"Expected distinct span labels; got {labels!r}.")
        self.labels = labels
        self.c1, self.c2, self.max_iterations = float(c1), float(c2), int(max_iterations)
        self.is_fitted = False
        self._model: bytes | None = None
        self._tagger: Any = None
        self._weights: tuple[dict[str, int], np.ndarray, np.ndarray, list[str]] | None = None

    # pickling: the CRFsuite file's bytes travel; the tagger and the weights read from it do not
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tagger"] = None
        state["_weights"] = None
        return state

    @staticmethod
    def can_fit(answers: Sequence[Any]) -> bool:
        """Whether :meth:`fit` can learn from ``answers``: at least one of them marks a span.

        Examples
        --------
        >>> from hilt.tasks.span_model import SpanModel
        >>> SpanModel.can_fit([[], []]), SpanModel.can_fit([[], [{"start": 0, "end": 3, "label": "PER"}]])
        (False, True)
        """
        return any(isinstance(answer, (list, tuple)) and len(answer) > 0 for answer in answers)

    def fit(self, texts: Any, answers: Sequence[Any]) -> "SpanModel":
        """Learn from ``texts`` and their decoded span lists (``[]``: nothing to mark), snapped to tokens."""
        import pycrfsuite

        texts = _texts(texts)
        answers = list(answers)
        if len(answers) != len(texts):
            raise InputError(f"Expected one answer per text: got {len(texts)} texts and {len(answers)} answers.")
        trainer = pycrfsuite.Trainer(verbose=False)
        marked = 0
        for i, (text, answer) in enumerate(zip(texts, answers)):
            try:
                spans = check_spans(answer, self.labels, text)
            except InputError as error:
                raise InputError(f"item {i}: {error}") from None
            tokens = tokenize(text)
            if not tokens:
                continue
            tags = spans_to_tags(tokens, snap_spans(tokens, spans))
            marked += sum(tag != "O" for tag in tags)
            trainer.append(self._features(text, tokens), tags)
        if not marked:
            raise InputError("Expected at least one answer that marks a span (over a token) to fit a span model; "
                             "every answer is nothing to mark.")
        trainer.set_params({"c1": self.c1, "c2": self.c2, "max_iterations": self.max_iterations,
                            "feature.possible_transitions": True})
        with tempfile.TemporaryDirectory(prefix="hilt-crf-") as folder:
            path = os.path.join(folder, "model.crfsuite")
            trainer.train(path)
            with open(path, "rb") as handle:
                self._model = handle.read()
        self._tagger = None
        self._weights = None
        self.is_fitted = True
        return self

    def _features(self, text: str, tokens: Sequence[tuple[int, int]]) -> list[list[str]]:
        """The features of each token of ``text`` (one place, so that fit and predict agree)."""
        return token_features(text, tokens)

    def tagger(self) -> Any:
        """CRFsuite's own tagger over the trained model (opened on first use)."""
        if not self.is_fitted:
            raise InputError("The span model is not fitted yet: teach it at least one answer that marks a span first.")
        if self._tagger is None:
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self._model)
            self._tagger = tagger
        return self._tagger

    def _read_weights(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, list[str]]:
        """``(attribute -> row, W (n_attributes, n_tags), T (n_tags, n_tags), tags)`` of the model."""
        if self._weights is None:
            info = self.tagger().info()
            tags = list(self.tagger().labels())
            column = {tag: j for j, tag in enumerate(tags)}
            rows: dict[str, int] = {}
            for attribute, _ in info.state_features:
                rows.setdefault(attribute, len(rows))
            W = np.zeros((len(rows), len(tags)))
            for (attribute, tag), weight in info.state_features.items():
                W[rows[attribute], column[tag]] = weight
            T = np.zeros((len(tags), len(tags)))
            for (before, after), weight in info.transitions.items():
                T[column[before], column[after]] = weight
            self._weights = (rows, W, T, tags)
        return self._weights

    def _decode(self, texts: list[str]) -> tuple[list[list[tuple[int, int]]], list[np.ndarray], np.ndarray]:
        """Each text's tokens, its best tag indices, and the ``(n, 8)`` figures, :data:`GROUP` texts at a time."""
        tokens: list[list[tuple[int, int]]] = []
        best: list[np.ndarray] = []
        figures = [np.zeros((0, len(SEQUENCE_METHODS)))]
        for lo in range(0, len(texts), GROUP):
            group_tokens, group_best, group_figures = self._decode_group(texts[lo:lo + GROUP])
            tokens += group_tokens
            best += group_best
            figures.append(group_figures)
        return tokens, best, np.concatenate(figures)

    def _decode_group(self, texts: list[str]) -> tuple[list[list[tuple[int, int]]], list[np.ndarray], np.ndarray]:
        import scipy.sparse as sp

        rows, W, T, _ = self._read_weights()
        tokens = [tokenize(text) for text in texts]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        ids: list[int] = []
        indptr = [0]
        for text, toks in zip(texts, tokens):
            for feats in self._features(text, toks):
                ids.extend(rows[f] for f in feats if f in rows)  # unseen features weigh nothing
                indptr.append(len(ids))
        counts = sp.csr_matrix((np.ones(len(ids)), np.asarray(ids, dtype=np.int64), np.asarray(indptr)),
                               shape=(len(indptr) - 1, W.shape[0]))
        emissions = np.asarray(counts @ W)
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        figures = np.zeros((len(texts), len(SEQUENCE_METHODS)))
        best: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(texts)
        order = np.argsort(lengths, kind="stable")
        order = order[lengths[order] > 0]  # no tokens: nothing to mark, certain (figures 0)
        lo = 0
        while lo < order.size:
            hi = lo + 1  # sorted by length: the last text of a batch is its longest
            while hi < order.size and hi - lo < BATCH and (hi - lo + 1) * lengths[order[hi]] <= BATCH_TOKENS:
                hi += 1
            chunk, lo = order[lo:hi], hi
            L = int(lengths[chunk[-1]])
            E = np.zeros((chunk.size, L, W.shape[1]))
            for b, i in enumerate(chunk):
                E[b, :lengths[i]] = emissions[starts[i]:starts[i + 1]]
            paths, chunk_figures = best_and_uncertainty(E, T, lengths=lengths[chunk])
            figures[chunk] = chunk_figures
            for b, i in enumerate(chunk):
                best[i] = paths[b, :lengths[i]]
        return tokens, best, figures

    def predict(self, texts: Any) -> list[list[dict]]:
        """Each text's best labelling as spans ``{"start", "end", "label"}`` (offsets into the text)."""
        texts = _texts(texts)
        if not self.is_fitted:
            raise InputError("The span model is not fitted yet: teach it at least one answer that marks a span first.")
        tokens, best, _ = self._decode(texts)
        tags = self._read_weights()[3]
        return [tags_to_spans(toks, [tags[j] for j in path]) for toks, path in zip(tokens, best)]

    def predict_proba(self, texts: Any) -> np.ndarray:
        """``(n_texts, 8)`` float64: the uncertainty of each text's labelling, one column per
        :attr:`METHODS`, each in [0, 1] (1 = most uncertain; 0 for a text with no tokens)."""
        texts = _texts(texts)
        if not self.is_fitted:
            raise InputError("The span model is not fitted yet: teach it at least one answer that marks a span first.")
        return self._decode(texts)[2]

    def predict_with_uncertainty(self, texts: Any) -> tuple[list[list[dict]], np.ndarray]:
        """:meth:`predict` and :meth:`predict_proba` from one pass over the texts."""
        texts = _texts(texts)
        if not self.is_fitted:
            raise InputError("The span model is not fitted yet: teach it at least one answer that marks a span first.")
        tokens, best, figures = self._decode(texts)
        tags = self._read_weights()[3]
        return [tags_to_spans(toks, [tags[j] for j in path]) for toks, path in zip(tokens, best)], figures
